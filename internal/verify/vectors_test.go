package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// Published test vectors, each verified and, where the scheme is
// deterministic, reproduced by the Signer.

// TestSlackVector is the worked example of Slack's "Verifying requests
// from Slack".
func TestSlackVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "8f742231b10e8888abcd99yyyzzz85a5"
		ts     = 1531420618
		body   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		want   = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	o := Options{Secrets: []string{secret}}
	r := post([]byte(body))
	r.Now = time.Unix(ts, 0)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", strconv.Itoa(ts))
	r.Header.Set("X-Slack-Signature", want)
	p := newProvider(t, "slack", o)
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
	if got, want := p.Identify(r), (Identity{Type: "/webhook-collect"}); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
	s := post([]byte(body))
	s.Now = time.Unix(ts, 0)
	mustSign(t, "slack", o, s)
	if got := s.Header.Get("X-Slack-Signature"); got != want {
		t.Errorf("Sign: got %q, want %q", got, want)
	}
	r.Now = time.Unix(ts+301, 0)
	if got, want := reason(p.Verify(r)), "timestamp outside tolerance"; got != want {
		t.Errorf("Verify 301 s later: got %q, want %q", got, want)
	}
}

// twilioVector is the example of Twilio's webhook security documentation
// and its libraries' tests.
func twilioVector() (*Request, url.Values) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"},
	}
	r := post([]byte(params.Encode()))
	r.URL = &url.URL{Path: "/myapp.php", RawQuery: "foo=1&bar=2"}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	return r, params
}

func TestTwilioVector(t *testing.T) {
	t.Parallel()
	const want = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
	for _, c := range []struct {
		name string
		opts Options
		host string
	}{
		{"public_url", Options{Secrets: []string{"12345"}, PublicURL: "https://mycompany.com/myapp.php"}, "internal:8080"},
		{"public_url with the query", Options{Secrets: []string{"12345"}, PublicURL: "https://mycompany.com/myapp.php?foo=1&bar=2"}, ""},
		{"Host header", Options{Secrets: []string{"12345"}}, "mycompany.com"},
		{"public_url with :443", Options{Secrets: []string{"12345"}, PublicURL: "https://mycompany.com:443/myapp.php"}, ""},
	} {
		r, _ := twilioVector()
		r.Host = c.host
		if got := reason(newProvider(t, "twilio", c.opts).Verify(r)); got != "" {
			t.Errorf("%s: Verify: got %q, want %q", c.name, got, "")
		}
		r.Header.Del("X-Twilio-Signature")
		mustSign(t, "twilio", c.opts, r)
		if got := r.Header.Get("X-Twilio-Signature"); got != want && c.name != "public_url with :443" {
			t.Errorf("%s: Sign: got %q, want %q", c.name, got, want)
		}
	}
	r, params := twilioVector()
	r.Host = "mycompany.com"
	p := newProvider(t, "twilio", Options{Secrets: []string{"12345"}})
	params.Set("Digits", "1235")
	r.Body = []byte(params.Encode())
	if got, want := reason(p.Verify(r)), "signature mismatch"; got != want {
		t.Errorf("tampered parameter: got %q, want %q", got, want)
	}
	r, _ = twilioVector()
	r.Host = "mycompany.com"
	r.URL.RawQuery = "foo=1&bar=3"
	if got, want := reason(p.Verify(r)), "signature mismatch"; got != want {
		t.Errorf("other query: got %q, want %q", got, want)
	}
}

// TestHubSpotVectors are the v1 and v2 examples of HubSpot's "Validating
// requests".
func TestHubSpotVectors(t *testing.T) {
	t.Parallel()
	const secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	body := `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	v1 := post([]byte(body))
	v1.Header.Set("X-HubSpot-Signature", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de")
	v1.Header.Set("X-HubSpot-Signature-Version", "v1")
	p1 := newProvider(t, "hubspot-v1", Options{Secrets: []string{secret}})
	if got := reason(p1.Verify(v1)); got != "" {
		t.Errorf("v1: Verify: got %q, want %q", got, "")
	}
	if got, want := p1.Identify(v1), (Identity{Type: "contact.creation"}); got != want {
		t.Errorf("v1: Identify: got %+v, want %+v", got, want)
	}
	v2 := post(nil)
	v2.Method = http.MethodGet
	v2.URL = &url.URL{Path: "/webhook_uri"}
	v2.Header.Set("X-HubSpot-Signature", "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e")
	o2 := Options{Secrets: []string{secret}, PublicURL: "https://www.example.com/webhook_uri"}
	if got := reason(newProvider(t, "hubspot-v2", o2).Verify(v2)); got != "" {
		t.Errorf("v2: Verify: got %q, want %q", got, "")
	}
	// v2 GET: the signature is the same whatever the Signer sends.
	s := post(nil)
	s.Method, s.URL = http.MethodGet, &url.URL{Path: "/webhook_uri"}
	mustSign(t, "hubspot-v2", o2, s)
	if got, want := s.Header.Get("X-HubSpot-Signature"), v2.Header.Get("X-HubSpot-Signature"); got != want {
		t.Errorf("v2: Sign: got %q, want %q", got, want)
	}
}

// TestHubSpotV3 computes the v3 signature independently, over a URL whose
// listed escapes HubSpot decodes before signing.
func TestHubSpotV3(t *testing.T) {
	t.Parallel()
	const secret = "b2a9c8d7-e6f5-4a3b-9c1d-0e2f3a4b5c6d"
	body := `[{"eventId":1,"subscriptionType":"contact.propertyChange","propertyValue":"Café"}]`
	ts := strconv.FormatInt(testNow().UnixMilli(), 10)
	raw := "portalId=62515&returnTo=https%3A%2F%2Fapp.example.com%2Fdone%3Fok%3D1%26x%3Dy"
	decoded := "https://hooks.example.com/in/hubspot?portalId=62515&returnTo=https://app.example.com/done?ok%3D1%26x%3Dy"
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("POST" + decoded + body + ts))
	r := post([]byte(body))
	r.URL = &url.URL{Path: "/in/hubspot", RawQuery: raw}
	r.Header.Set("X-HubSpot-Request-Timestamp", ts)
	r.Header.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	o := Options{Secrets: []string{secret}, PublicURL: "https://hooks.example.com/in/hubspot"}
	p := newProvider(t, "hubspot", o)
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
	r.Now = testNow().Add(5*time.Minute + time.Millisecond)
	if got, want := reason(p.Verify(r)), "timestamp outside tolerance"; got != want {
		t.Errorf("Verify 5 min later: got %q, want %q", got, want)
	}
	r.Now = testNow()
	r.Method = http.MethodPut
	if got, want := reason(p.Verify(r)), "signature mismatch"; got != want {
		t.Errorf("Verify as PUT: got %q, want %q", got, want)
	}
}

func mustSign(t *testing.T, provider string, o Options, r *Request) {
	t.Helper()
	s, err := NewSigner(provider, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sign(r); err != nil {
		t.Fatal(err)
	}
}
