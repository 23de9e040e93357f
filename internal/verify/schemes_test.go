package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each provider's scheme, checked against signatures computed here from
// its documentation, independently of the Signer.

func hmacHex(h func() hash.Hash, key, msg string) string {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func hmacB64(h func() hash.Hash, key, msg string) string {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestDocumentedSchemes builds one request per row from its documented
// scheme and checks that it verifies.
func TestDocumentedSchemes(t *testing.T) {
	t.Parallel()
	const key, body = "s3cr3t", `{"id":"evt_1","type":"thing.happened","event":"e","data":{"note":"Café ✓"}}`
	now := testNow()
	ts := strconv.FormatInt(now.Unix(), 10)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	rfc := now.UTC().Format(time.RFC3339)
	b64key := base64.StdEncoding.EncodeToString([]byte(key))
	cases := []struct {
		provider string
		opts     Options
		header   map[string]string
	}{
		{"github", Options{}, map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex(sha256.New, key, body)}},
		{"bitbucket", Options{}, map[string]string{"X-Hub-Signature": "sha256=" + hmacHex(sha256.New, key, body)}},
		{"jira", Options{}, map[string]string{"X-Hub-Signature": "sha256=" + hmacHex(sha256.New, key, body)}},
		{"gitea", Options{}, map[string]string{"X-Gitea-Signature": hmacHex(sha256.New, key, body)}},
		{"forgejo", Options{}, map[string]string{"X-Forgejo-Signature": hmacHex(sha256.New, key, body)}},
		{"gogs", Options{}, map[string]string{"X-Gogs-Signature": hmacHex(sha256.New, key, body)}},
		{"sentry", Options{}, map[string]string{"Sentry-Hook-Signature": hmacHex(sha256.New, key, body)}},
		{"vercel", Options{}, map[string]string{"x-vercel-signature": hmacHex(sha1.New, key, body)}},
		{"circleci", Options{}, map[string]string{"circleci-signature": "v0=abc,v1=" + hmacHex(sha256.New, key, body)}},
		{"buildkite", Options{}, map[string]string{"X-Buildkite-Signature": "timestamp=" + ts + ",signature=" + hmacHex(sha256.New, key, ts+"."+body)}},
		{"terraform-cloud", Options{}, map[string]string{"X-TFE-Notification-Signature": hmacHex(sha512.New, key, body)}},
		{"pagerduty", Options{}, map[string]string{"X-PagerDuty-Signature": "v1=" + strings.Repeat("0", 64) + ",v1=" + hmacHex(sha256.New, key, body)}},
		{"heroku", Options{}, map[string]string{"Heroku-Webhook-Hmac-SHA256": hmacB64(sha256.New, key, body)}},
		{"alchemy", Options{}, map[string]string{"X-Alchemy-Signature": hmacHex(sha256.New, key, body)}},
		{"stripe", Options{}, map[string]string{"Stripe-Signature": "t=" + ts + ",v1=" + hmacHex(sha256.New, "old", ts+"."+body) + ",v1=" + hmacHex(sha256.New, key, ts+"."+body) + ",v0=" + strings.Repeat("a", 64)}},
		{"shopify", Options{}, map[string]string{"X-Shopify-Hmac-Sha256": hmacB64(sha256.New, key, body)}},
		{"shopify", Options{}, map[string]string{"shopify-hmac-sha256": hmacB64(sha256.New, key, body)}},
		{"paddle", Options{}, map[string]string{"Paddle-Signature": "ts=" + ts + ";h1=" + hmacHex(sha256.New, key, ts+":"+body) + ";h1=" + hmacHex(sha256.New, "old", ts+":"+body)}},
		{"square", Options{PublicURL: testURL}, map[string]string{"x-square-hmacsha256-signature": hmacB64(sha256.New, key, testURL+body)}},
		{"razorpay", Options{}, map[string]string{"X-Razorpay-Signature": hmacHex(sha256.New, key, body)}},
		{"paystack", Options{}, map[string]string{"x-paystack-signature": hmacHex(sha512.New, key, body)}},
		{"lemonsqueezy", Options{}, map[string]string{"X-Signature": hmacHex(sha256.New, key, body)}},
		{"coinbase-commerce", Options{}, map[string]string{"X-CC-Webhook-Signature": hmacHex(sha256.New, key, body)}},
		{"woocommerce", Options{}, map[string]string{"X-WC-Webhook-Signature": hmacB64(sha256.New, key, body)}},
		{"mollie", Options{}, map[string]string{"X-Mollie-Signature": "sha256=" + hmacHex(sha256.New, key, body)}},
		{"revolut", Options{}, map[string]string{"Revolut-Request-Timestamp": ms, "Revolut-Signature": "v1=" + hmacHex(sha256.New, key, "v1."+ms+"."+body)}},
		{"checkout", Options{}, map[string]string{"Cko-Signature": hmacHex(sha256.New, key, body)}},
		{"gocardless", Options{}, map[string]string{"Webhook-Signature": hmacHex(sha256.New, key, body)}},
		{"xero", Options{}, map[string]string{"x-xero-signature": hmacB64(sha256.New, key, body)}},
		{"docusign", Options{Secrets: []string{"other", key}}, map[string]string{"X-DocuSign-Signature-1": hmacB64(sha256.New, "other", body+"x"), "X-DocuSign-Signature-2": hmacB64(sha256.New, key, body)}},
		{"calendly", Options{}, map[string]string{"Calendly-Webhook-Signature": "t=" + ts + ",v1=" + hmacHex(sha256.New, key, ts+"."+body)}},
		{"patreon", Options{}, map[string]string{"X-Patreon-Signature": hmacHex(md5.New, key, body)}},
		{"slack", Options{}, map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + hmacHex(sha256.New, key, "v0:"+ts+":"+body)}},
		{"meta", Options{VerifyToken: "t"}, map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex(sha256.New, key, body)}},
		{"zoom", Options{}, map[string]string{"x-zm-request-timestamp": ts, "x-zm-signature": "v0=" + hmacHex(sha256.New, key, "v0:"+ts+":"+body)}},
		{"twitch", Options{}, map[string]string{"Twitch-Eventsub-Message-Id": "m1", "Twitch-Eventsub-Message-Timestamp": "2023-11-14T22:13:20.123456789Z",
			"Twitch-Eventsub-Message-Signature": "sha256=" + hmacHex(sha256.New, key, "m1"+"2023-11-14T22:13:20.123456789Z"+body)}},
		{"line", Options{}, map[string]string{"x-line-signature": hmacB64(sha256.New, key, body)}},
		{"intercom", Options{}, map[string]string{"X-Hub-Signature": "sha1=" + hmacHex(sha1.New, key, body)}},
		{"helpscout", Options{}, map[string]string{"X-HelpScout-Signature": hmacB64(sha1.New, key, body)}},
		{"customerio", Options{}, map[string]string{"X-CIO-Timestamp": ts, "X-CIO-Signature": hmacHex(sha256.New, key, "v0:"+ts+":"+body)}},
		{"front", Options{}, map[string]string{"X-Front-Request-Timestamp": ms, "X-Front-Signature": hmacB64(sha256.New, key, ms+":"+body)}},
		{"zendesk", Options{}, map[string]string{"X-Zendesk-Webhook-Signature-Timestamp": rfc, "X-Zendesk-Webhook-Signature": hmacB64(sha256.New, key, rfc+body)}},
		{"plivo", Options{PublicURL: testURL}, map[string]string{"X-Plivo-Signature-V2-Nonce": "05429567804466091622", "X-Plivo-Signature-V2": hmacB64(sha256.New, key, testURL+"05429567804466091622")}},
		{"pusher", Options{}, map[string]string{"X-Pusher-Signature": hmacHex(sha256.New, key, body)}},
		{"nylas", Options{}, map[string]string{"X-Nylas-Signature": hmacHex(sha256.New, key, body)}},
		{"typeform", Options{}, map[string]string{"Typeform-Signature": "sha256=" + hmacB64(sha256.New, key, body)}},
		{"calcom", Options{}, map[string]string{"X-Cal-Signature-256": hmacHex(sha256.New, key, body)}},
		{"dropbox", Options{}, map[string]string{"X-Dropbox-Signature": hmacHex(sha256.New, key, body)}},
		{"box", Options{Secrets: []string{"primary", key}}, map[string]string{"BOX-DELIVERY-TIMESTAMP": now.In(time.FixedZone("", -7*3600)).Format(time.RFC3339),
			"BOX-SIGNATURE-PRIMARY": hmacB64(sha256.New, "stale", body), "BOX-SIGNATURE-SECONDARY": hmacB64(sha256.New, key, body+now.In(time.FixedZone("", -7*3600)).Format(time.RFC3339))}},
		{"trello", Options{PublicURL: testURL}, map[string]string{"X-Trello-Webhook": hmacB64(sha1.New, key, body+testURL)}},
		{"airtable", Options{Secrets: []string{b64key}}, map[string]string{"X-Airtable-Content-MAC": "hmac-sha256=" + hmacHex(sha256.New, key, body)}},
		{"webflow", Options{}, map[string]string{"x-webflow-timestamp": ms, "x-webflow-signature": hmacHex(sha256.New, key, ms+":"+body)}},
		{"sanity", Options{}, map[string]string{"sanity-webhook-signature": "t=" + ms + ",v1=" + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(hmacB64(sha256.New, key, ms+"."+body)), "=")}},
		{"workos", Options{}, map[string]string{"WorkOS-Signature": "t=" + ms + ", v1=" + hmacHex(sha256.New, key, ms+"."+body)}},
		{"mux", Options{}, map[string]string{"Mux-Signature": "t=" + ts + ",v1=" + hmacHex(sha256.New, key, ts+"."+body)}},
		{"notion", Options{}, map[string]string{"X-Notion-Signature": "sha256=" + hmacHex(sha256.New, key, body)}},
		{"asana", Options{}, map[string]string{"X-Hook-Signature": hmacHex(sha256.New, key, body)}},
		{"websub", Options{}, map[string]string{"X-Hub-Signature": "sha384=" + hmacHex(sha512.New384, key, body)}},
		{"recharge", Options{}, map[string]string{"X-Recharge-Webhook-Signature": "t=" + ts + ",v1=" + hmacHex(sha256.New, key, ts+"."+body)}},
		{"gitlab", Options{}, map[string]string{"X-Gitlab-Token": key}},
		{"telegram", Options{}, map[string]string{"X-Telegram-Bot-Api-Secret-Token": key}},
		{"okta", Options{}, map[string]string{"Authorization": key}},
		{"ringcentral", Options{}, map[string]string{"Verification-Token": key}},
		{"cloudevents", Options{}, map[string]string{"Authorization": "Bearer " + key}},
	}
	for _, c := range cases {
		o := c.opts
		if o.Secrets == nil {
			o.Secrets = []string{key}
		}
		r := post([]byte(body))
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		if got := reason(newProvider(t, c.provider, o).Verify(r)); got != "" {
			t.Errorf("%s: Verify: got %q, want %q", c.provider, got, "")
		}
	}
}

func TestRechargeLegacy(t *testing.T) {
	t.Parallel()
	const key, body = "rcs_secret", `{"subscription":{"id":1}}`
	p := newProvider(t, "recharge", Options{Secrets: []string{key}})
	sum := sha256.Sum256([]byte(key + body))
	r := post([]byte(body))
	r.Header.Set("X-Recharge-Hmac-Sha256", hex.EncodeToString(sum[:]))
	r.Header.Set("X-Recharge-Topic", "subscription/created")
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("legacy: Verify: got %q, want %q", got, "")
	}
	if got, want := p.Identify(r), (Identity{Type: "subscription/created"}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
	// A stale timestamped signature is not rescued by a valid legacy one.
	old := strconv.FormatInt(testNow().Add(-49*time.Hour).Unix(), 10)
	r.Header.Set("X-Recharge-Webhook-Signature", "t="+old+",v1="+hmacHex(sha256.New, key, old+"."+body))
	if got, want := reason(p.Verify(r)), "timestamp outside tolerance"; got != want {
		t.Errorf("stale timed, valid legacy: got %q, want %q", got, want)
	}
}

func TestMailgun(t *testing.T) {
	t.Parallel()
	const key = "key-7c2f9e4a1b8d3c6f0e5a2b9d4c7f1e3a"
	p := newProvider(t, "mailgun", Options{Secrets: []string{key}})
	ts := strconv.FormatInt(testNow().Unix(), 10)
	tok := "5d1c5a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"
	sig := hmacHex(sha256.New, key, ts+tok)
	js := fmt.Sprintf(`{"signature":{"token":%q,"timestamp":%q,"signature":%q},"event-data":{"event":"delivered","recipient":"alice@example.com"}}`, tok, ts, sig)
	form := url.Values{"timestamp": {ts}, "token": {tok}, "signature": {sig}, "event": {"delivered"}}.Encode()
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for _, kv := range [][2]string{{"event", "stored"}, {"timestamp", ts}, {"token", tok}, {"signature", sig}} {
		w.WriteField(kv[0], kv[1])
	}
	w.Close()
	cases := []struct {
		name, contentType, body, want string
		id                            Identity
	}{
		{"json", "application/json", js, "", Identity{DeliveryID: tok, Type: "delivered"}},
		{"json, event data changed", "application/json", strings.Replace(js, "alice", "mallory", 1), "", Identity{DeliveryID: tok, Type: "delivered"}},
		{"json, token changed", "application/json", strings.Replace(js, tok, tok[1:]+"x", 1), "signature mismatch", Identity{}},
		{"form", "application/x-www-form-urlencoded", form, "", Identity{DeliveryID: tok, Type: "delivered"}},
		{"multipart", w.FormDataContentType(), mp.String(), "", Identity{DeliveryID: tok}},
		{"no signature", "application/json", `{"event-data":{}}`, "missing signature object", Identity{}},
	}
	for _, c := range cases {
		r := post([]byte(c.body))
		r.Header.Set("Content-Type", c.contentType)
		if got := reason(p.Verify(r)); got != c.want {
			t.Errorf("%s: Verify: got %q, want %q", c.name, got, c.want)
		}
		if c.want == "" {
			if got := p.Identify(r); got != c.id {
				t.Errorf("%s: Identify: got %+v, want %+v", c.name, got, c.id)
			}
		}
	}
}

func TestVonageSMS(t *testing.T) {
	t.Parallel()
	const secret = "Zk7pQ2wR9tY4uI1oP6aS3dF8gH5jK0lZxCvBnM2qWe"
	ts := strconv.FormatInt(testNow().Unix(), 10)
	params := map[string]string{"msisdn": "447700900001", "to": "447700900000", "messageId": "0A0000000123ABCD1",
		"text": "Pay=10&go Café", "type": "unicode", "keyword": "PAY=10&GO", "api-key": "a1b2c3d4",
		"message-timestamp": "2023-11-14 22:13:20", "timestamp": ts, "nonce": "n-1"}
	signed := "&api-key=a1b2c3d4&keyword=PAY_10_GO&message-timestamp=2023-11-14 22:13:20&messageId=0A0000000123ABCD1" +
		"&msisdn=447700900001&nonce=n-1&text=Pay_10_go Café&timestamp=" + ts + "&to=447700900000&type=unicode"
	md5sum := md5.Sum([]byte(signed + secret))
	sigs := map[string]string{
		"md5hash":    hex.EncodeToString(md5sum[:]),
		"md5hmac":    strings.ToUpper(hmacHex(md5.New, secret, signed)),
		"sha1hmac":   strings.ToUpper(hmacHex(sha1.New, secret, signed)),
		"sha256":     strings.ToUpper(hmacHex(sha256.New, secret, signed)),
		"sha512hmac": strings.ToUpper(hmacHex(sha512.New, secret, signed)),
	}
	for method, sig := range sigs {
		p := newProvider(t, "vonage-sms", Options{Secrets: []string{secret}, SignatureMethod: method})
		q := url.Values{"sig": {sig}}
		for k, v := range params {
			q.Set(k, v)
		}
		r := post([]byte(q.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := reason(p.Verify(r)); got != "" {
			t.Errorf("%s: Verify(form): got %q, want %q", method, got, "")
		}
		get := post(nil)
		get.Method, get.URL.RawQuery = http.MethodGet, q.Encode()
		if got := reason(p.Verify(get)); got != "" {
			t.Errorf("%s: Verify(GET): got %q, want %q", method, got, "")
		}
		q.Set("sig", strings.ToLower(sig))
		get.URL.RawQuery = q.Encode()
		if got := reason(p.Verify(get)); got != "" {
			t.Errorf("%s: Verify(lower-case sig): got %q, want %q", method, got, "")
		}
		q.Set("text", "Pay=9999&go")
		get.URL.RawQuery = q.Encode()
		if got, want := reason(p.Verify(get)), "signature mismatch"; got != want {
			t.Errorf("%s: Verify(tampered): got %q, want %q", method, got, want)
		}
		q.Set("text", params["text"])
		get.URL.RawQuery = q.Encode() + "&text=again"
		if got, want := reason(p.Verify(get)), "parameter text given twice"; got != want {
			t.Errorf("%s: Verify(repeated): got %q, want %q", method, got, want)
		}
		if got, want := p.Identify(r), (Identity{DeliveryID: "0A0000000123ABCD1", Type: "unicode"}); got != want {
			t.Errorf("%s: Identify: got %+v, want %+v", method, got, want)
		}
	}
	if a, ok := newProvider(t, "vonage-sms", Options{Secrets: []string{secret}, SignatureMethod: "md5hash"}).(MethodAllower); !ok || !a.Allows("GET") || a.Allows("PUT") {
		t.Error("vonage-sms: want GET and POST allowed, PUT not")
	}
}

func jwtToken(t *testing.T, header string, claims map[string]any, key string) string {
	t.Helper()
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(c)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(signed))
	return signed + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestVonageJWT(t *testing.T) {
	t.Parallel()
	const secret, body = "sig-secret", `{"channel":"whatsapp","message_uuid":"u1","message_type":"text","text":"Hi"}`
	sum := sha256.Sum256([]byte(body))
	p := newProvider(t, "vonage-jwt", Options{Secrets: []string{secret}})
	claims := func(iat time.Time) map[string]any {
		return map[string]any{"iat": iat.Unix(), "jti": "j-1", "iss": "Vonage", "payload_hash": hex.EncodeToString(sum[:]), "api_key": "k"}
	}
	hs := `{"alg":"HS256","typ":"JWT"}`
	cases := []struct {
		name, token, body, want string
	}{
		{"valid", jwtToken(t, hs, claims(testNow()), secret), body, ""},
		{"tampered body", jwtToken(t, hs, claims(testNow()), secret), strings.Replace(body, "Hi", "Bye", 1), "payload_hash claim does not match the body"},
		{"wrong secret", jwtToken(t, hs, claims(testNow()), "other"), body, "signature mismatch"},
		{"stale", jwtToken(t, hs, claims(testNow().Add(-15*time.Minute)), secret), body, "timestamp outside tolerance"},
		{"alg none", strings.TrimSuffix(jwtToken(t, `{"alg":"none"}`, claims(testNow()), secret), "x"), body, "token algorithm is not HS256"},
		{"alg HS512", jwtToken(t, `{"alg":"HS512"}`, claims(testNow()), secret), body, "token algorithm is not HS256"},
		{"no iat", jwtToken(t, hs, map[string]any{"payload_hash": hex.EncodeToString(sum[:])}, secret), body, "missing iat claim"},
		{"two parts", "a.b", body, "malformed token in Authorization header"},
	}
	for _, c := range cases {
		r := post([]byte(c.body))
		r.Header.Set("Authorization", "Bearer "+c.token)
		if got := reason(p.Verify(r)); got != c.want {
			t.Errorf("%s: Verify: got %q, want %q", c.name, got, c.want)
		}
	}
	r := post([]byte(body))
	r.Header.Set("Authorization", "Bearer "+cases[0].token)
	if got, want := p.Identify(r), (Identity{DeliveryID: "j-1", Type: "text"}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}

	n := newProvider(t, "netlify", Options{Secrets: []string{secret}})
	for iss, want := range map[string]string{"netlify": "", "other": "iss claim is not netlify"} {
		r := post([]byte(body))
		r.Header.Set("X-Webhook-Signature", jwtToken(t, hs, map[string]any{"iss": iss, "sha256": hex.EncodeToString(sum[:])}, secret))
		if got := reason(n.Verify(r)); got != want {
			t.Errorf("netlify iss %q: got %q, want %q", iss, got, want)
		}
	}
}

func TestTwilioJSON(t *testing.T) {
	t.Parallel()
	const token, body = "9d3c7a1e5b2f4c8d6e0a1b2c3d4e5f60", `{"event_type":"com.twilio.messaging.message.delivered","data":{"body":"Café"}}`
	sum := sha256.Sum256([]byte(body))
	u := testURL + "?bodySHA256=" + hex.EncodeToString(sum[:])
	o := Options{Secrets: []string{token}, PublicURL: testURL}
	p := newProvider(t, "twilio", o)
	r := post([]byte(body))
	r.URL.RawQuery = "bodySHA256=" + hex.EncodeToString(sum[:])
	r.Header.Set("X-Twilio-Signature", hmacB64(sha1.New, token, u))
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
	r.Body = []byte(strings.Replace(body, "delivered", "failed", 1))
	if got, want := reason(p.Verify(r)), "bodySHA256 mismatch"; got != want {
		t.Errorf("tampered: got %q, want %q", got, want)
	}
	// A URL-only signature does not vouch for a body without bodySHA256.
	noHash := post([]byte(body))
	noHash.Header.Set("X-Twilio-Signature", hmacB64(sha1.New, token, testURL))
	if got, want := reason(p.Verify(noHash)), "body not covered: neither a form nor a bodySHA256 query parameter"; got != want {
		t.Errorf("JSON without bodySHA256: got %q, want %q", got, want)
	}
	get := post([]byte("x"))
	get.Method = http.MethodGet
	get.Header.Set("X-Twilio-Signature", hmacB64(sha1.New, token, testURL))
	if got, want := reason(p.Verify(get)), "a GET with a body is not signed"; got != want {
		t.Errorf("GET with a body: got %q, want %q", got, want)
	}
	get.Body = nil
	if got := reason(p.Verify(get)); got != "" {
		t.Errorf("GET: got %q, want %q", got, "")
	}
	// Signed over the URL with the default port.
	withPort := post([]byte(body))
	withPort.URL.RawQuery = r.URL.RawQuery
	withPort.Header.Set("X-Twilio-Signature", hmacB64(sha1.New, token, strings.Replace(u, ".com/", ".com:443/", 1)))
	if got := reason(p.Verify(withPort)); got != "" {
		t.Errorf("URL with :443: got %q, want %q", got, "")
	}
	// The Signer adds bodySHA256 to JSON requests.
	s := post([]byte(body))
	mustSign(t, "twilio", o, s)
	if s.URL.Query().Get("bodySHA256") != hex.EncodeToString(sum[:]) || reason(p.Verify(s)) != "" {
		t.Errorf("Sign(JSON): URL %q, Verify %q", s.URL, reason(p.Verify(s)))
	}
}

func TestPortVariants(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"https://a.example/p?q=1":  {"https://a.example/p?q=1", "https://a.example:443/p?q=1"},
		"http://a.example":         {"http://a.example", "http://a.example:80"},
		"https://a.example:8443/p": {"https://a.example:8443/p", "https://a.example/p"},
		"https://[::1]/p":          {"https://[::1]/p", "https://[::1]:443/p"},
		"not a url":                {"not a url"},
	} {
		if got := portVariants(in); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("portVariants(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestLinear(t *testing.T) {
	t.Parallel()
	const secret = "lin_wh_Q2v8X1c5Z9b3N7m4K0j6H2g8F5d1S3a7"
	p := newProvider(t, "linear", Options{Secrets: []string{secret}})
	for _, c := range []struct {
		name string
		at   time.Time
		body string
		want string
	}{
		{"fresh", testNow(), `{"action":"create","type":"Issue","webhookTimestamp":%d}`, ""},
		{"stale", testNow().Add(-61 * time.Second), `{"action":"create","webhookTimestamp":%d}`, "timestamp outside tolerance"},
		{"future", testNow().Add(61 * time.Second), `{"webhookTimestamp":%d}`, "timestamp outside tolerance"},
		{"string", testNow(), `{"webhookTimestamp":"%d"}`, "malformed webhookTimestamp in the body"},
		{"missing", testNow(), `{"x":%d}`, "missing webhookTimestamp in the body"},
	} {
		body := fmt.Sprintf(c.body, c.at.UnixMilli())
		r := post([]byte(body))
		r.Header.Set("Linear-Signature", hmacHex(sha256.New, secret, body))
		if got := reason(p.Verify(r)); got != c.want {
			t.Errorf("%s: Verify: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTelnyxAndDiscord(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ts := strconv.FormatInt(testNow().Unix(), 10)
	body := `{"data":{"id":"0ccc7b54","event_type":"message.received","payload":{"text":"Café"}}}`
	telnyx := newProvider(t, "telnyx", Options{PublicKey: base64.StdEncoding.EncodeToString(pub)})
	r := post([]byte(body))
	r.Header.Set("telnyx-timestamp", ts)
	r.Header.Set("telnyx-signature-ed25519", base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(ts+"|"+body))))
	if got := reason(telnyx.Verify(r)); got != "" {
		t.Errorf("telnyx: Verify: got %q, want %q", got, "")
	}
	if got, want := telnyx.Identify(r), (Identity{DeliveryID: "0ccc7b54", Type: "message.received"}); got != want {
		t.Errorf("telnyx: Identify: got %+v, want %+v", got, want)
	}
	discord := newProvider(t, "discord", Options{PublicKey: hex.EncodeToString(pub)})
	r = post([]byte(body))
	r.Header.Set("X-Signature-Timestamp", ts)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts+body))))
	if got := reason(discord.Verify(r)); got != "" {
		t.Errorf("discord: Verify: got %q, want %q", got, "")
	}
	// A configured secret must be the matching private key.
	if _, err := New("discord", Options{PublicKey: hex.EncodeToString(pub), Secrets: []string{hex.EncodeToString(priv.Seed())}}); err != nil {
		t.Errorf("discord with its private key: %v", err)
	}
}

func TestSendGrid(t *testing.T) {
	t.Parallel()
	priv := testECDSAKey("sendgrid")
	body := `[{"email":"example@test.com","event":"processed","timestamp":1700000000}]` + "\r\n"
	ts := strconv.FormatInt(testNow().Unix(), 10)
	digest := sha256.Sum256([]byte(ts + body))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, "sendgrid", Options{PublicKey: ecdsaPublicBase64(priv)})
	r := post([]byte(body))
	r.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", ts)
	r.Header.Set("X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig))
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
	r.Body = []byte(strings.TrimSuffix(body, "\r\n"))
	if got, want := reason(p.Verify(r)), "signature mismatch"; got != want {
		t.Errorf("Verify without the CRLF: got %q, want %q", got, want)
	}
	if got, want := p.Identify(r), (Identity{Type: "processed"}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
}

func TestEbaySignature(t *testing.T) {
	t.Parallel()
	priv := testECDSAKey("ebay")
	body := `{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION"},"notification":{"notificationId":"49feeaeb","data":{"username":"test_user"}}}`
	digest := sha1.Sum([]byte(body))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	head, _ := json.Marshal(map[string]string{"alg": "ecdsa", "kid": "99345b46", "signature": base64.StdEncoding.EncodeToString(sig), "digest": "SHA1"})
	pemKey := "-----BEGIN PUBLIC KEY-----\n" + ecdsaPublicBase64(priv) + "\n-----END PUBLIC KEY-----"
	p := newProvider(t, "ebay", Options{PublicKey: pemKey, VerifyToken: "vt-123", PublicURL: testURL})
	r := post([]byte(body))
	r.Header.Set("X-EBAY-SIGNATURE", base64.StdEncoding.EncodeToString(head))
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
	if got, want := p.Identify(r), (Identity{DeliveryID: "49feeaeb", Type: "MARKETPLACE_ACCOUNT_DELETION"}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
}

func TestTokenSchemes(t *testing.T) {
	t.Parallel()
	p := newProvider(t, "gitlab", Options{Secrets: []string{"glwt-7f3b9c1d5e2a8f4c6b0d"}})
	for v, want := range map[string]string{
		"glwt-7f3b9c1d5e2a8f4c6b0d":  "",
		"glwt-7f3b9c1d5e2a8f4c6b0":   "token mismatch",
		"glwt-7f3b9c1d5e2a8f4c6b0dd": "token mismatch",
		"":                           "malformed X-Gitlab-Token header",
	} {
		r := post(nil)
		r.Header.Set("X-Gitlab-Token", v)
		if got := reason(p.Verify(r)); got != want {
			t.Errorf("gitlab %q: got %q, want %q", v, got, want)
		}
	}
	if got, want := reason(p.Verify(post(nil))), "missing X-Gitlab-Token header"; got != want {
		t.Errorf("gitlab without token: got %q, want %q", got, want)
	}
	tg := newProvider(t, "telegram", Options{Secrets: []string{"tg_secret-1"}})
	r := post([]byte(`{"update_id":10000,"message":{"text":"hi"}}`))
	if got, want := tg.Identify(r), (Identity{DeliveryID: "10000", Type: "message"}); got != want {
		t.Errorf("telegram: Identify: got %+v, want %+v", got, want)
	}
	eg := newProvider(t, "azure-eventgrid", Options{Secrets: []string{"c0de"}})
	r = post([]byte(`[{"id":"e1","eventType":"Microsoft.Storage.BlobCreated"}]`))
	r.URL.RawQuery = "code=c0de"
	if got := reason(eg.Verify(r)); got != "" {
		t.Errorf("azure-eventgrid: Verify: got %q, want %q", got, "")
	}
	if got, want := eg.Identify(r), (Identity{DeliveryID: "e1", Type: "Microsoft.Storage.BlobCreated"}); got != want {
		t.Errorf("azure-eventgrid: Identify: got %+v, want %+v", got, want)
	}
	r.URL.RawQuery = "code=c0de&code=c0de"
	if got, want := reason(eg.Verify(r)), "multiple code query parameters"; got != want {
		t.Errorf("azure-eventgrid, two codes: got %q, want %q", got, want)
	}
}
