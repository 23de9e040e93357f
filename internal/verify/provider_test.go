package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// suite says how to exercise one preset: the options it needs and the
// shape of the bodies it sends. Everything else (its window, what its
// signature covers, which headers carry it) comes from the preset's own
// description, so that every preset passes every check, and a new row
// needs no test to be covered.
type suite struct {
	// opts returns options whose secrets (or key pair) are made from
	// labels: the same labels always make the same keys. nil: the labels
	// are the secrets.
	opts func(labels ...string) Options
	// body shapes a payload as the provider sends it; nil: as is.
	body func(payload []byte) []byte
	// contentType of the bodies; "" is application/json.
	contentType string
	// oneKey is set for schemes verified with one public key (no rotation).
	oneKey bool
	// noSecret is set for schemes without any secret (nothing to get wrong).
	noSecret bool
	// jsonOnly is set for schemes that take only JSON object bodies.
	jsonOnly bool
}

// testURL is the public URL of the suite's sources.
const testURL = "https://hooks.example.com/in/test"

// suites maps the presets that need more than the zero suite.
func suites() map[string]suite {
	whsec := func(labels ...string) Options {
		return Options{Secrets: mapLabels(labels, func(l string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(l)) })}
	}
	b64 := func(labels ...string) Options {
		return Options{Secrets: mapLabels(labels, func(l string) string { return base64.StdEncoding.EncodeToString([]byte(l)) })}
	}
	withURL := func(labels ...string) Options { return Options{Secrets: labels, PublicURL: testURL} }
	withToken := func(labels ...string) Options { return Options{Secrets: labels, VerifyToken: "vt-123"} }
	ed := func(labels ...string) Options {
		priv := ed25519.NewKeyFromSeed(labelHash(labels[0]))
		return Options{Secrets: []string{hex.EncodeToString(priv.Seed())}, PublicKey: hex.EncodeToString(priv.Public().(ed25519.PublicKey))}
	}
	ec := func(labels ...string) Options {
		priv := testECDSAKey(labels[0])
		return Options{Secrets: []string{ecdsaPEM(priv)}, PublicKey: ecdsaPublicBase64(priv)}
	}
	form := func(payload []byte) []byte {
		return []byte("msisdn=447700900001&to=447700900000&messageId=0A0000000123ABCD1&type=text&text=" + url.QueryEscape(string(payload)))
	}
	out := map[string]suite{
		"hmac": {opts: func(labels ...string) Options {
			return Options{Secrets: labels, HMAC: HMACOptions{Header: "x-hmac", Prefix: "sha256="}}
		}},
		"airtable":       {opts: b64},
		"square":         {opts: withURL},
		"hubspot":        {opts: withURL},
		"hubspot-v2":     {opts: withURL},
		"trello":         {opts: withURL},
		"plivo":          {opts: withURL},
		"twilio":         {opts: withURL, body: form, contentType: "application/x-www-form-urlencoded"},
		"websub":         {opts: withToken},
		"discord":        {opts: ed, oneKey: true},
		"discord-events": {opts: ed, oneKey: true},
		"telnyx":         {opts: ed, oneKey: true},
		"sendgrid":       {opts: ec, oneKey: true},
		"ebay": {opts: func(labels ...string) Options {
			o := ec(labels...)
			o.VerifyToken, o.PublicURL = "vt-123", testURL
			return o
		}, oneKey: true},
		"vonage-sms": {opts: func(labels ...string) Options { return Options{Secrets: labels, SignatureMethod: "sha256hmac"} },
			body: form, contentType: "application/x-www-form-urlencoded"},
		"msgraph": {opts: func(labels ...string) Options {
			// A clientState is at most 128 characters.
			return Options{Secrets: mapLabels(labels, func(l string) string { return hex.EncodeToString(labelHash(l)) })}
		}, body: func(payload []byte) []byte {
			return []byte(`{"value":[{"changeType":"created","resourceData":` + string(payload) + `}]}`)
		}},
		"telegram": {opts: func(labels ...string) Options {
			// A secret_token is 1 to 256 of A-Z, a-z, 0-9, _ and -.
			return Options{Secrets: mapLabels(labels, func(l string) string { return hex.EncodeToString(labelHash(l)) })}
		}},
		"x":      {jsonOnly: true},
		"linear": {jsonOnly: true},
		"strava": {opts: func(...string) Options { return Options{VerifyToken: "vt-123"} }, noSecret: true},
	}
	for _, name := range []string{"standardwebhooks", "svix", "clerk", "resend", "openai", "replicate", "gitlab-signing"} {
		out[name] = suite{opts: whsec}
	}
	for _, name := range []string{"meta", "facebook", "instagram", "whatsapp"} {
		out[name] = suite{opts: withToken}
	}
	return out
}

func mapLabels(labels []string, f func(string) string) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = f(l)
	}
	return out
}

func labelHash(label string) []byte {
	sum := sha256.Sum256([]byte(label))
	return sum[:]
}

// testECDSAKey is a P-256 key derived from label.
func testECDSAKey(label string) *ecdsa.PrivateKey {
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), labelHash(label))
	if err != nil {
		panic(err)
	}
	return priv
}

func ecdsaPEM(priv *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func ecdsaPublicBase64(priv *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// harness is one preset with its suite and description.
type harness struct {
	suite
	name  string
	about about
	row   bool // a declarative row, whose reasons are exact
}

// harnesses lists every preset.
func harnesses() []harness {
	special := suites()
	var out []harness
	for _, p := range presets() {
		h := harness{suite: special[p.name], name: p.name, about: p.describe(), row: p.row != nil}
		if h.opts == nil {
			h.opts = func(labels ...string) Options { return Options{Secrets: labels} }
		}
		out = append(out, h)
	}
	return out
}

// request returns an unsigned request of payload at testNow, shaped as
// the provider sends it.
func (h harness) request(payload []byte) *Request {
	r := post(payload)
	if h.body != nil {
		r.Body = h.body(payload)
	}
	if h.contentType != "" {
		r.Header.Set("Content-Type", h.contentType)
	}
	r.Host = "hooks.example.com"
	return r
}

// sign returns payload signed with the keys of label at now.
func (h harness) sign(t testing.TB, label string, payload []byte, now time.Time) *Request {
	t.Helper()
	s, err := NewSigner(h.name, h.opts(label))
	if err != nil {
		t.Fatalf("%s: NewSigner: %v", h.name, err)
	}
	r := h.request(payload)
	r.Now = now
	if err := s.Sign(r); err != nil {
		t.Fatalf("%s: Sign: %v", h.name, err)
	}
	r.Now = testNow()
	return r
}

func (h harness) provider(t testing.TB, labels ...string) Provider {
	t.Helper()
	return newProvider(t, h.name, h.opts(labels...))
}

// trapBodies are bodies that a re-serialisation would change.
func trapBodies() map[string][2]string {
	// name -> {raw body, what a parse-and-reprint would send instead}
	return map[string][2]string{
		"non-ASCII":       {`{"name":"Zoë ✓ 日本"}`, `{"name":"Zo\u00eb \u2713 \u65e5\u672c"}`},
		"escaped slashes": {`{"url":"https:\/\/example.com\/a"}`, `{"url":"https://example.com/a"}`},
		"CRLF":            {"{\r\n  \"a\": 1\r\n}\r\n", "{\n  \"a\": 1\n}\n"},
		"spacing":         {`{ "a" : 1 }`, `{"a":1}`},
		"form":            {"text=94070+%26+more+caf%C3%A9&payload=%7B%22a%22%3A1%7D", "text=94070%20%26%20more%20caf%C3%A9&payload=%7B%22a%22:1%7D"},
	}
}

var payload = []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)

// tamper changes the payload inside a signed body.
func tamper(t *testing.T, body []byte) []byte {
	t.Helper()
	out := bytes.Replace(body, []byte("awesome"), []byte("awesomf"), 1)
	if bytes.Equal(out, body) {
		t.Fatalf("tamper: no payload in %q", body)
	}
	return out
}

func TestProviders(t *testing.T) {
	t.Parallel()
	for _, h := range harnesses() {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			p := h.provider(t, "secret-A")
			valid := h.sign(t, "secret-A", payload, testNow())
			check := func(t *testing.T, p Provider, r *Request, want string) {
				t.Helper()
				if got := reason(p.Verify(r)); got != want {
					t.Errorf("Verify: got %q, want %q", got, want)
				}
			}
			refused := func(t *testing.T, p Provider, r *Request, exact string) {
				t.Helper()
				got := reason(p.Verify(r))
				if got == "" || (h.row && exact != "" && got != exact) || strings.HasPrefix(got, "not a *Failure") {
					t.Errorf("Verify: got %q, want a refusal %q", got, exact)
				}
			}

			t.Run("valid", func(t *testing.T) { check(t, p, valid, "") })
			t.Run("not a handshake", func(t *testing.T) {
				if resp, ok := p.Challenge(valid); ok {
					t.Errorf("Challenge(signed event): got %+v, true; want false", resp)
				}
			})
			t.Run("POST allowed", func(t *testing.T) {
				if a, ok := p.(MethodAllower); ok && !a.Allows(http.MethodPost) {
					t.Error("Allows(POST): got false")
				}
			})
			t.Run("tampered body", func(t *testing.T) {
				r := *valid
				r.Body = tamper(t, valid.Body)
				if h.about.integrity == noIntegrity {
					check(t, p, &r, "") // faithful: the scheme does not cover the body
					return
				}
				refused(t, p, &r, "signature mismatch")
			})
			t.Run("wrong secret", func(t *testing.T) {
				if h.noSecret {
					t.Skip("no secret")
				}
				refused(t, h.provider(t, "secret-B"), valid, "signature mismatch")
			})
			t.Run("missing signature", func(t *testing.T) {
				if len(h.about.headers) == 0 {
					t.Skip("the signature is not in a header")
				}
				r := *valid
				r.Header = valid.Header.Clone()
				for _, name := range h.about.headers {
					r.Header.Del(name)
				}
				refused(t, p, &r, "missing "+h.about.headers[0]+" header")
			})
			t.Run("timestamps", func(t *testing.T) {
				tol := h.about.tolerance
				if tol == 0 {
					t.Skip("no signed timestamp")
				}
				for _, c := range []struct {
					name string
					at   time.Duration
					want string
				}{
					{"at the past edge", -tol, ""},
					{"at the future edge", tol, ""},
					{"stale", -tol - time.Minute, "timestamp outside tolerance"},
					{"future", tol + time.Minute, "timestamp outside tolerance"},
					{"a day old", -24 * time.Hour, "timestamp outside tolerance"},
				} {
					if tol >= 24*time.Hour && c.name == "a day old" {
						continue
					}
					r := h.sign(t, "secret-A", payload, testNow().Add(c.at))
					if got := reason(p.Verify(r)); got != c.want {
						t.Errorf("%s: Verify: got %q, want %q", c.name, got, c.want)
					}
				}
			})
			t.Run("rotation", func(t *testing.T) {
				if h.oneKey || h.noSecret {
					t.Skip("one key")
				}
				rotating := h.provider(t, "secret-old", "secret-A")
				check(t, rotating, valid, "")
				check(t, rotating, h.sign(t, "secret-old", payload, testNow()), "")
				refused(t, rotating, h.sign(t, "secret-C", payload, testNow()), "signature mismatch")
			})
			t.Run("raw body", func(t *testing.T) {
				if h.about.integrity != bodyIntegrity || h.body != nil {
					t.Skip("the signature does not cover the raw body")
				}
				for name, trap := range trapBodies() {
					raw, reprinted := []byte(trap[0]), []byte(trap[1])
					if h.jsonOnly && !isJSONObject(raw) {
						continue
					}
					r := h.sign(t, "secret-A", raw, testNow())
					if got := reason(p.Verify(r)); got != "" {
						t.Errorf("%s: Verify raw: got %q, want %q", name, got, "")
					}
					if !bytes.Equal(r.Body, raw) {
						continue // the signer changed the body (Linear adds its timestamp)
					}
					r.Body = reprinted
					if got := reason(p.Verify(r)); got == "" {
						t.Errorf("%s: Verify reprinted: got %q, want a refusal", name, got)
					}
				}
			})
			t.Run("identify", func(t *testing.T) {
				p.Identify(valid)
				p.Identify(post(nil))
				p.Identify(post([]byte("\x00not json")))
			})
		})
	}
}

// TestSignRoundTrip signs with each provider's Signer and verifies with its
// Provider, for several secrets and bodies.
func TestSignRoundTrip(t *testing.T) {
	t.Parallel()
	payloads := []string{`{}`, `{"a":1}`, `{"x":"` + strings.Repeat("x", 4096) + `"}`, `{"ü":"\u00fc"}`}
	for _, h := range harnesses() {
		for _, label := range []string{"k", strings.Repeat("a long secret, longer than any hash's block size ", 4)} {
			p := h.provider(t, label)
			for _, body := range payloads {
				r := h.sign(t, label, []byte(body), testNow())
				if got := reason(p.Verify(r)); got != "" {
					t.Errorf("%s: Verify(Sign(%.20q)): got %q, want %q", h.name, body, got, "")
				}
			}
		}
	}
}

// TestConcurrentUse shares one Provider between goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	for _, h := range harnesses() {
		p := h.provider(t, "secret-A")
		r := h.sign(t, "secret-A", []byte(`{"a":1}`), testNow())
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 20 {
					if got := reason(p.Verify(r)); got != "" {
						t.Errorf("%s: Verify: got %q, want %q", h.name, got, "")
						return
					}
					p.Identify(r)
					p.Challenge(r)
				}
			})
		}
		wg.Wait()
	}
}

// TestMalformedSignatures pins the exact reasons for bad signature headers
// of a few rows of each kind.
func TestMalformedSignatures(t *testing.T) {
	t.Parallel()
	hex64 := strings.Repeat("0", 64)
	b64 := strings.Repeat("A", 43) + "="
	cases := []struct {
		provider, header string
		opts             Options
		malformed        map[string]string
	}{
		{"github", "X-Hub-Signature-256", Options{}, map[string]string{
			"":                            "malformed X-Hub-Signature-256 header",
			"sha256=":                     "malformed X-Hub-Signature-256 header",
			hex64:                         "malformed X-Hub-Signature-256 header",
			"sha1=" + hex64[:40]:          "malformed X-Hub-Signature-256 header",
			"sha256=" + hex64[:63]:        "malformed X-Hub-Signature-256 header",
			"sha256=" + hex64 + "0":       "malformed X-Hub-Signature-256 header",
			"sha256=" + hex64[:62] + "zz": "malformed X-Hub-Signature-256 header",
			"sha256=" + b64:               "malformed X-Hub-Signature-256 header",
			"sha256=" + hex64:             "signature mismatch",
		}},
		{"x", "x-twitter-webhooks-signature", Options{}, map[string]string{
			"":                          "malformed x-twitter-webhooks-signature header",
			"sha256=":                   "malformed x-twitter-webhooks-signature header",
			b64:                         "malformed x-twitter-webhooks-signature header",
			"sha256=" + b64[:43]:        "malformed x-twitter-webhooks-signature header",
			"sha256=" + hex64:           "malformed x-twitter-webhooks-signature header",
			"sha256=" + b64[:42] + "B=": "malformed x-twitter-webhooks-signature header", // non-canonical
			"sha256=" + b64:             "signature mismatch",
		}},
		{"hmac", "x-hmac", Options{HMAC: HMACOptions{Header: "x-hmac", Prefix: "sha256="}}, map[string]string{
			"":                     "malformed x-hmac header",
			hex64:                  "malformed x-hmac header",
			"sha256=" + hex64[:10]: "malformed x-hmac header",
			"sha256=" + hex64:      "signature mismatch",
		}},
		{"standardwebhooks", "webhook-signature", Options{}, map[string]string{
			"":                              "no v1 signature in webhook-signature header",
			"v2," + b64:                     "no v1 signature in webhook-signature header",
			"v1a," + b64:                    "no v1 signature in webhook-signature header",
			b64:                             "no v1 signature in webhook-signature header",
			"v1,":                           "malformed webhook-signature header",
			"v1," + b64[:43]:                "malformed webhook-signature header",
			"v1," + b64 + " v1,!!":          "signature mismatch",
			"v1a,xyz v1," + b64:             "signature mismatch",
			"v1," + strings.Repeat("A", 44): "malformed webhook-signature header",
		}},
		{"stripe", "Stripe-Signature", Options{}, map[string]string{
			"":                                  "no v1 signature in Stripe-Signature header",
			"t=1700000000":                      "no v1 signature in Stripe-Signature header",
			"t=1700000000,v0=" + hex64:          "no v1 signature in Stripe-Signature header",
			"v1=" + hex64:                       "no timestamp in Stripe-Signature header",
			"t=1700000000,v1=zz":                "malformed Stripe-Signature header",
			"t=1700000000,t=1,v1=" + hex64:      "malformed Stripe-Signature header",
			"t=abc,v1=" + hex64:                 "malformed Stripe-Signature header",
			"t=1700000000, v1=" + hex64:         "signature mismatch",
			"t=1700000000,v1=" + hex64 + ",v0=": "signature mismatch",
		}},
		{"shopify", "X-Shopify-Hmac-Sha256", Options{}, map[string]string{
			"":        "malformed X-Shopify-Hmac-Sha256 header",
			hex64:     "malformed X-Shopify-Hmac-Sha256 header",
			b64:       "signature mismatch",
			" " + b64: "malformed X-Shopify-Hmac-Sha256 header",
		}},
	}
	for _, c := range cases {
		h := harness{name: c.provider, suite: suites()[c.provider]}
		if h.opts == nil {
			h.opts = func(labels ...string) Options { return withSecrets(c.opts, labels...) }
		}
		p := h.provider(t, "secret-A")
		valid := h.sign(t, "secret-A", payload, testNow())
		for v, want := range c.malformed {
			r := *valid
			r.Header = valid.Header.Clone()
			r.Header.Set(c.header, v)
			if got := reason(p.Verify(&r)); got != want {
				t.Errorf("%s: Verify with %s: %q: got %q, want %q", c.provider, c.header, v, got, want)
			}
		}
		r := *valid
		r.Header = valid.Header.Clone()
		r.Header.Add(c.header, valid.Header.Get(c.header))
		want := "multiple " + c.header + " headers"
		if c.provider == "standardwebhooks" || c.provider == "stripe" {
			want = "" // a list scheme takes every line's signatures
		}
		if got := reason(p.Verify(&r)); got != want {
			t.Errorf("%s: duplicated header: got %q, want %q", c.provider, got, want)
		}
	}
}
