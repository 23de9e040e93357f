package verify

import (
	"bytes"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
)

// suite describes one provider for the checks every provider must pass.
type suite struct {
	provider string
	opts     Options // everything but Secrets
	// secret turns a label into a secret this provider accepts; nil: as is.
	secret func(label string) string
	header string // the signature header
	// single is true when the header carries exactly one signature.
	single bool
	// malformed maps bad signature header values to the reason they get.
	malformed map[string]string
}

// with returns the suite's options with secrets made from labels.
func (s suite) with(labels ...string) Options {
	secrets := make([]string, len(labels))
	for i, l := range labels {
		secrets[i] = l
		if s.secret != nil {
			secrets[i] = s.secret(l)
		}
	}
	return withSecrets(s.opts, secrets...)
}

func suites() []suite {
	hex64 := strings.Repeat("0", 64)
	b64 := strings.Repeat("A", 43) + "="
	return []suite{
		{
			provider: "github", header: "X-Hub-Signature-256", single: true,
			malformed: map[string]string{
				"":                            "malformed X-Hub-Signature-256 header",
				"sha256=":                     "malformed X-Hub-Signature-256 header",
				hex64:                         "malformed X-Hub-Signature-256 header",
				"sha1=" + hex64[:40]:          "malformed X-Hub-Signature-256 header",
				"sha256=" + hex64[:63]:        "malformed X-Hub-Signature-256 header",
				"sha256=" + hex64 + "0":       "malformed X-Hub-Signature-256 header",
				"sha256=" + hex64[:62] + "zz": "malformed X-Hub-Signature-256 header",
				"sha256=" + b64:               "malformed X-Hub-Signature-256 header",
				"sha256=" + hex64:             "signature mismatch",
			},
		},
		{
			provider: "x", header: "x-twitter-webhooks-signature", single: true,
			malformed: map[string]string{
				"":                          "malformed x-twitter-webhooks-signature header",
				"sha256=":                   "malformed x-twitter-webhooks-signature header",
				b64:                         "malformed x-twitter-webhooks-signature header",
				"sha256=" + b64[:43]:        "malformed x-twitter-webhooks-signature header",
				"sha256=" + hex64:           "malformed x-twitter-webhooks-signature header",
				"sha256=" + b64[:42] + "B=": "malformed x-twitter-webhooks-signature header", // non-canonical
				"sha256=" + b64:             "signature mismatch",
			},
		},
		{
			provider: "hmac", header: "x-hmac", single: true,
			opts: Options{HMAC: HMACOptions{Header: "x-hmac", Prefix: "sha256="}},
			malformed: map[string]string{
				"":                     "malformed x-hmac header",
				hex64:                  "malformed x-hmac header",
				"sha256=" + hex64[:10]: "malformed x-hmac header",
				"sha256=" + hex64:      "signature mismatch",
			},
		},
		{
			provider: "standardwebhooks", header: "webhook-signature",
			secret: func(label string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(label)) },
			malformed: map[string]string{
				"":                              "no v1 signature in webhook-signature header",
				"v2," + b64:                     "no v1 signature in webhook-signature header",
				"v1a," + b64:                    "no v1 signature in webhook-signature header",
				b64:                             "no v1 signature in webhook-signature header",
				"v1,":                           "malformed webhook-signature header",
				"v1," + b64[:43]:                "malformed webhook-signature header",
				"v1," + b64 + " v1,!!":          "signature mismatch",
				"v1a,xyz v1," + b64:             "signature mismatch",
				"v1," + strings.Repeat("A", 44): "malformed webhook-signature header",
			},
		},
	}
}

// trapBodies are bodies that a re-serialisation would change.
func trapBodies() map[string][2]string {
	// name -> {raw body, what a parse-and-reprint would send instead}
	return map[string][2]string{
		"non-ASCII":       {`{"name":"Zoë ✓ 日本"}`, `{"name":"Zo\u00eb \u2713 \u65e5\u672c"}`},
		"escaped slashes": {`{"url":"https:\/\/example.com\/a"}`, `{"url":"https://example.com/a"}`},
		"CRLF":            {"{\r\n  \"a\": 1\r\n}\r\n", "{\n  \"a\": 1\n}\n"},
		"spacing":         {`{ "a" : 1 }`, `{"a":1}`},
	}
}

func TestProviders(t *testing.T) {
	t.Parallel()
	body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	for _, s := range suites() {
		t.Run(s.provider, func(t *testing.T) {
			t.Parallel()
			o := s.with("secret-A")
			p := newProvider(t, s.provider, o)
			valid := signed(t, s.provider, o, body)

			check := func(t *testing.T, p Provider, r *Request, want string) {
				t.Helper()
				if got := reason(p.Verify(r)); got != want {
					t.Errorf("Verify: got %q, want %q", got, want)
				}
			}
			t.Run("valid", func(t *testing.T) { check(t, p, valid, "") })
			t.Run("tampered body", func(t *testing.T) {
				r := *valid
				r.Body = bytes.Replace(body, []byte("1"), []byte("2"), 1)
				check(t, p, &r, "signature mismatch")
			})
			t.Run("wrong secret", func(t *testing.T) {
				check(t, newProvider(t, s.provider, s.with("secret-B")), valid, "signature mismatch")
			})
			t.Run("missing header", func(t *testing.T) {
				r := *valid
				r.Header = valid.Header.Clone()
				r.Header.Del(s.header)
				check(t, p, &r, "missing "+s.header+" header")
			})
			t.Run("malformed header", func(t *testing.T) {
				for v, want := range s.malformed {
					r := *valid
					r.Header = valid.Header.Clone()
					r.Header.Set(s.header, v)
					if got := reason(p.Verify(&r)); got != want {
						t.Errorf("Verify with %s: %q: got %q, want %q", s.header, v, got, want)
					}
				}
			})
			t.Run("duplicated header", func(t *testing.T) {
				r := *valid
				r.Header = valid.Header.Clone()
				r.Header.Add(s.header, valid.Header.Get(s.header))
				want := "multiple " + s.header + " headers"
				if !s.single {
					want = "" // a list scheme takes every line's signatures
				}
				check(t, p, &r, want)
			})
			t.Run("rotation", func(t *testing.T) {
				rotating := newProvider(t, s.provider, s.with("secret-old", "secret-A"))
				check(t, rotating, valid, "")
				check(t, rotating, signed(t, s.provider, s.with("secret-old"), body), "")
				check(t, rotating, signed(t, s.provider, s.with("secret-C"), body), "signature mismatch")
			})
			t.Run("raw body", func(t *testing.T) {
				for name, trap := range trapBodies() {
					raw, reprinted := []byte(trap[0]), []byte(trap[1])
					r := signed(t, s.provider, o, raw)
					if got := reason(p.Verify(r)); got != "" {
						t.Errorf("%s: Verify raw: got %q, want %q", name, got, "")
					}
					r.Body = reprinted
					if got := reason(p.Verify(r)); got != "signature mismatch" {
						t.Errorf("%s: Verify reprinted: got %q, want %q", name, got, "signature mismatch")
					}
				}
			})
		})
	}
}

// TestSignRoundTrip signs with each provider's Signer and verifies with its
// Provider, for several secrets and bodies.
func TestSignRoundTrip(t *testing.T) {
	t.Parallel()
	bodies := []string{`{}`, `{"a":1}`, "{" + strings.Repeat("x", 4096) + "}", `{"ü":"\u00fc"}`}
	for _, s := range suites() {
		for _, secret := range []string{"k", strings.Repeat("a long secret, longer than any hash's block size ", 4)} {
			o := s.with(secret)
			p := newProvider(t, s.provider, o)
			for _, body := range bodies {
				r := signed(t, s.provider, o, []byte(body))
				if got := reason(p.Verify(r)); got != "" {
					t.Errorf("%s: Verify(Sign(%.20q)): got %q, want %q", s.provider, body, got, "")
				}
			}
		}
	}
}

// TestConcurrentUse shares one Provider between goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	for _, s := range suites() {
		o := s.with("secret-A")
		p := newProvider(t, s.provider, o)
		r := signed(t, s.provider, o, []byte(`{"a":1}`))
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 50 {
					if got := reason(p.Verify(r)); got != "" {
						t.Errorf("%s: Verify: got %q, want %q", s.provider, got, "")
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
