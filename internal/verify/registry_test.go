package verify

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNames(t *testing.T) {
	t.Parallel()
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names not sorted: %q", names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("Names has duplicates: %q", names)
	}
	if len(names) < 50 {
		t.Errorf("Names: got %d presets, want at least 50", len(names))
	}
	for _, want := range []string{"github", "hmac", "standardwebhooks", "x", "stripe", "slack", "twilio", "discord"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names lacks %q", want)
		}
	}
	for _, n := range names {
		if n != strings.ToLower(n) || strings.ContainsAny(n, " _") {
			t.Errorf("name %q: want lower case, words joined by -", n)
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-do-not-print"
	hmacOpts := func(h HMACOptions) Options { return Options{Secrets: []string{secret}, HMAC: h} }
	s := func(o Options) Options { o.Secrets = []string{secret}; return o }
	cases := []struct {
		provider string
		opts     Options
		want     string
	}{
		{"github", Options{}, "github: a secret is required"},
		{"x", Options{Secrets: []string{}}, "x: a secret is required"},
		{"standardwebhooks", Options{}, "standardwebhooks: a secret is required"},
		{"hmac", hmacOpts(HMACOptions{}), "hmac: header is required"},
		{"github", Options{Secrets: []string{""}}, "github: secret is empty"},
		{"github", Options{Secrets: []string{secret, ""}}, "github: secret 2 of 2 is empty"},
		{"github", s(Options{Tolerance: time.Minute}), "github: tolerance is set, but github requests carry no signed timestamp"},
		{"standardwebhooks", Options{Secrets: []string{swSecret}, Tolerance: -time.Second}, "standardwebhooks: tolerance must not be negative"},
		{"standardwebhooks", Options{Secrets: []string{secret}}, `standardwebhooks: secret is not base64 (after an optional "whsec_" prefix)`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", Algorithm: "md4"}), `hmac: algorithm "md4" is not one of sha1, sha256, sha512`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", Encoding: "base32"}), `hmac: encoding "base32" is not one of hex, base64`},
		{"hmac", hmacOpts(HMACOptions{Header: "x hmac"}), `hmac: header "x hmac" is not a valid header name`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", EventTypeHeader: "x:topic"}), `hmac: event_type_header "x:topic" is not a valid header name`},
		{"hmac", hmacOpts(HMACOptions{Header: "x-hmac", DeliveryIDHeader: "x\nid"}), `hmac: delivery_id_header "x\nid" is not a valid header name`},
		{"hmac", Options{HMAC: HMACOptions{Header: "x-hmac"}}, "hmac: a secret is required"},
		{"github", s(Options{HMAC: HMACOptions{Header: "x"}}), "github: hmac options are set, but only provider hmac uses them"},
		{"github", s(Options{PublicURL: testURL}), "github: public_url is set, but github does not sign the URL"},
		{"github", s(Options{VerifyToken: "t"}), "github: verify_token is set, but github has no handshake that uses it"},
		{"github", s(Options{PublicKey: "k"}), "github: public_key is set, but github does not verify with a public key"},
		{"github", s(Options{SignatureMethod: "md5hash"}), "github: signature_method is set, but only vonage-sms uses it"},
		{"twilio", s(Options{PublicURL: "/in/twilio"}), "twilio: public_url must be an absolute http or https URL without a fragment, such as https://hooks.example.com/in/source"},
		{"twilio", s(Options{PublicURL: "ftp://x/y"}), "twilio: public_url must be an absolute http or https URL without a fragment, such as https://hooks.example.com/in/source"},
		{"meta", s(Options{}), "meta: verify_token is required (the token meta echoes in its subscription handshake)"},
		{"strava", Options{}, "strava: verify_token is required (the token given when creating the subscription)"},
		{"strava", s(Options{VerifyToken: "t"}), "strava: secret is set, but strava does not sign events"},
		{"discord", s(Options{}), "discord: public_key is required (the provider's Ed25519 public key)"},
		{"discord", Options{PublicKey: "!!"}, "discord: public_key is not PEM, hex or base64"},
		{"discord", Options{PublicKey: strings.Repeat("ab", 16)}, "discord: public_key is not an Ed25519 public key (32 bytes in hex or base64, or PEM)"},
		{"discord", Options{PublicKey: strings.Repeat("ab", 32), Secrets: []string{strings.Repeat("cd", 32)}},
			"discord: secret is not used to verify, and is not the private key of public_key; leave it out"},
		{"sendgrid", Options{}, "sendgrid: public_key is required (the verification key the Event Webhook settings show)"},
		{"vonage-sms", s(Options{}), "vonage-sms: signature_method is required: md5hash, md5hmac, sha1hmac, sha256hmac or sha512hmac, as the dashboard says"},
		{"vonage-sms", s(Options{SignatureMethod: "sha3"}), `vonage-sms: signature_method "sha3" is not one of md5hash, md5hmac, sha1hmac, sha256hmac, sha512hmac`},
		{"telegram", Options{Secrets: []string{"has space"}}, "telegram: secret is not a Telegram secret_token (1 to 256 of A-Z, a-z, 0-9, _ and -)"},
		{"gitlab", Options{}, "gitlab: a secret is required (the token it sends)"},
		{"msgraph", Options{Secrets: []string{strings.Repeat("x", 129)}}, "msgraph: secret 1 is not a clientState (1 to 128 characters)"},
		{"ebay", s(Options{PublicKey: "k"}), "ebay: verify_token is required (the verification token given to eBay for the endpoint)"},
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
	}
	for _, name := range []string{"gitlab2", "GitHub"} {
		_, err := New(name, Options{Secrets: []string{secret}})
		if err == nil || !strings.HasPrefix(err.Error(), `unknown provider "`+name+`" (known: `) {
			t.Errorf("New(%q): got %v, want unknown provider", name, err)
		}
	}
}

// TestNewSignerErrors: the public-key schemes sign with a private key.
func TestNewSignerErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		provider string
		opts     Options
		want     string
	}{
		{"discord", Options{}, "discord: signing needs the Ed25519 private key as the secret"},
		{"discord", Options{Secrets: []string{"!!"}}, "discord: secret is not PEM, hex or base64"},
		{"sendgrid", Options{}, "sendgrid: signing needs the ECDSA private key as the secret"},
		{"sendgrid", Options{Secrets: []string{"AAAA"}}, "sendgrid: secret is not an ECDSA private key (PKCS #8 or SEC 1, PEM or base64 DER)"},
		{"github", Options{}, "github: a secret is required"},
	}
	for _, c := range cases {
		_, err := NewSigner(c.provider, c.opts)
		if got := reason(err); err == nil || err.Error() != c.want {
			t.Errorf("NewSigner(%q): got %v (%s), want %q", c.provider, err, got, c.want)
		}
	}
	for _, name := range []string{"discord", "telnyx"} {
		s, err := NewSigner(name, Options{Secrets: []string{strings.Repeat("ab", 32)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sign(post(nil)); err != nil {
			t.Errorf("%s: Sign: %v", name, err)
		}
	}
	// A signer-only instance has no handshake answers to get wrong, but a
	// verifier without the private key cannot sign.
	p := newProvider(t, "discord", Options{PublicKey: strings.Repeat("ab", 32)})
	if err := p.(Signer).Sign(post(nil)); err == nil {
		t.Error("Sign without a private key: got nil error")
	}
}

// TestPresetsWellFormed checks every preset is complete and consistent, so
// that a new one cannot be half declared.
func TestPresetsWellFormed(t *testing.T) {
	t.Parallel()
	for _, p := range presets() {
		kinds := 0
		for _, set := range []bool{p.row != nil, p.build != nil, p.custom != nil} {
			if set {
				kinds++
			}
		}
		a := p.describe()
		problems := map[string]bool{
			"not exactly one of row, build, custom": kinds != 1,
			"signer without custom":                 p.signer != nil && p.custom == nil,
			"no scheme summary":                     a.scheme == "",
			"no doc URL":                            p.name != "hmac" && !strings.HasPrefix(p.doc, "https://"),
		}
		if _, err := url.Parse(p.doc); err != nil {
			problems["doc is not a URL"] = true
		}
		if s := p.row; s != nil {
			parts, err := parseTemplate(s.signs)
			c := *s
			c.parts = parts
			problems["bad template"] = err != nil || len(parts) == 0
			problems["no header"] = s.header == ""
			problems["hash unavailable"] = !s.hash.Available()
			problems["list without a version prefix"] = s.listSep != "" && s.prefix == ""
			problems["timestamp field without a list"] = s.tsField != "" && s.listSep == ""
			problems["timestamp signed but no source"] = c.uses(timestampPart) && !s.timestamped()
			problems["timestamp source but not signed"] = s.timestamped() && !c.uses(timestampPart)
			problems["timestamp without tolerance"] = s.timestamped() && s.tolerance <= 0
			problems["id signed but no header"] = c.uses(idPart) && s.idHeader == ""
			problems["id header but not signed"] = s.idHeader != "" && !c.uses(idPart)
			problems["escapes without a URL"] = s.decodeEscapes != "" && !c.uses(urlPart)
			problems["secret prefix on a raw secret"] = s.secret == rawSecret && s.secretPrefix != ""
			problems["keys set by the row"] = s.keys != nil
			problems["challenge without a description"] = (s.challenge == nil) != (s.handshake == "")
			problems["verify token without a handshake"] = s.verifyToken && s.challenge == nil
			for _, h := range append([]string{s.header, s.idHeader, s.timestampHeader}, s.altHeaders...) {
				if h != "" && !validHeaderName(h) {
					problems["bad header name "+h] = true
				}
			}
		}
		for problem, bad := range problems {
			if bad {
				t.Errorf("%s: %s", p.name, problem)
			}
		}
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"{body", "{bdy}", "v0:{timestamp", "{}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q): got nil error", bad)
		}
	}
	parts, err := parseTemplate("v0:{timestamp}:{body}")
	want := []part{{text: "v0:"}, {kind: timestampPart}, {text: ":"}, {kind: bodyPart}}
	if err != nil || !slices.Equal(parts, want) {
		t.Errorf("parseTemplate: got %v, %v; want %v", parts, err, want)
	}
}
