package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	t.Parallel()
	want := []string{"github", "hmac", "standardwebhooks", "x"}
	if diff := cmp.Diff(want, Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-do-not-print"
	hmacOpts := func(h HMACOptions) Options { return Options{Secrets: []string{secret}, HMAC: h} }
	cases := []struct {
		provider string
		opts     Options
		want     string
	}{
		{"gitlab", Options{Secrets: []string{secret}}, `unknown provider "gitlab" (known: github, hmac, standardwebhooks, x)`},
		{"GitHub", Options{Secrets: []string{secret}}, `unknown provider "GitHub" (known: github, hmac, standardwebhooks, x)`},
		{"github", Options{}, "github: a secret is required"},
		{"x", Options{Secrets: []string{}}, "x: a secret is required"},
		{"standardwebhooks", Options{}, "standardwebhooks: a secret is required"},
		{"hmac", hmacOpts(HMACOptions{}), "hmac: header is required"},
		{"github", Options{Secrets: []string{""}}, "github: secret is empty"},
		{"github", Options{Secrets: []string{secret, ""}}, "github: secret 2 of 2 is empty"},
		{"github", Options{Secrets: []string{secret}, Tolerance: time.Minute}, "github: tolerance is set, but github requests carry no signed timestamp"},
		{"standardwebhooks", Options{Secrets: []string{swSecret}, Tolerance: -time.Second}, "standardwebhooks: tolerance must not be negative"},
		{"standardwebhooks", Options{Secrets: []string{secret}}, `standardwebhooks: secret is not base64 (after an optional "whsec_" prefix)`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", Algorithm: "md4"}), `hmac: algorithm "md4" is not one of sha1, sha256, sha512`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", Encoding: "base32"}), `hmac: encoding "base32" is not one of hex, base64`},
		{"hmac", hmacOpts(HMACOptions{Header: "x hmac"}), `hmac: header "x hmac" is not a valid header name`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", EventTypeHeader: "x:topic"}), `hmac: event_type_header "x:topic" is not a valid header name`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", DeliveryIDHeader: "x\nid"}), `hmac: delivery_id_header "x\nid" is not a valid header name`},
		{"hmac", Options{HMAC: HMACOptions{Header: "x-hmac"}}, "hmac: a secret is required"},
	}
	for _, c := range cases {
		p, err := New(c.provider, c.opts)
		if err == nil {
			t.Errorf("New(%q, %+v): got %v, nil; want error %q", c.provider, c.opts, p, c.want)
			continue
		}
		if got := err.Error(); got != c.want {
			t.Errorf("New(%q): got %q, want %q", c.provider, got, c.want)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("New(%q): error %q holds the secret", c.provider, err)
		}
		if _, err := NewSigner(c.provider, c.opts); err == nil || err.Error() != c.want {
			t.Errorf("NewSigner(%q): got %v, want %q", c.provider, err, c.want)
		}
	}
}

// TestPresetsWellFormed checks every row is complete and consistent, so a
// new preset cannot be half declared.
func TestPresetsWellFormed(t *testing.T) {
	t.Parallel()
	for _, p := range presets() {
		s, err := p.build(Options{HMAC: HMACOptions{Header: "x-sig"}})
		if err != nil {
			t.Errorf("%s: build: %v", p.name, err)
			continue
		}
		problems := map[string]bool{
			"no header":                       s.header == "",
			"hash unavailable":                !s.hash.Available(),
			"list without a version prefix":   s.list && s.prefix == "",
			"timestamp signed but no header":  s.signs != signsBody && s.timestampHeader == "",
			"timestamp header but not signed": s.signs == signsBody && s.timestampHeader != "",
			"timestamp without tolerance":     s.timestampHeader != "" && s.tolerance <= 0,
			"timestamp without separator":     s.signs != signsBody && s.sep == "",
			"id signed but no header":         s.signs == signsIDTimestampBody && s.idHeader == "",
			"secret prefix on a raw secret":   s.secret == rawSecret && s.secretPrefix != "",
			"keys set by the row":             s.keys != nil,
			"two event type sources":          s.eventType != nil && s.eventTypeHeader != "",
		}
		for problem, bad := range problems {
			if bad {
				t.Errorf("%s: %s", p.name, problem)
			}
		}
	}
}
