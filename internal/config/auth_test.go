package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAuthExample(t *testing.T) {
	t.Parallel()
	got, err := Load("testdata/auth_example.yaml", Options{Getenv: env("GW_PASS", "pw", "T1", "t1", "K", "k")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{Name: "queue", MaxBody: MiB, Line: 2, RequiredHeaders: []string{"x-topic"}, Auth: &Auth{
			Basic:  &BasicAuth{Username: "gw", Password: "pw"},
			Bearer: &BearerAuth{Tokens: []string{"t1", ""}},
			APIKey: &APIKeyAuth{Header: "x-api-key", Keys: []string{"k"}},
			JWT: &JWTAuth{
				Algorithms:  []string{"RS256", "ES256"},
				JWKSURL:     "https://issuer.example/.well-known/jwks.json",
				JWKSRefresh: Duration(time.Hour),
				Issuer:      "https://issuer.example",
				Audience:    "hookgate",
				Leeway:      Duration(time.Minute),
			},
			IPAllow: &IPAllow{CIDRs: []string{"10.0.0.0/8"}, TrustedProxies: []string{"127.0.0.1/32"}},
			MTLS:    &MTLS{Subjects: []string{"sender.example.com"}},
		}},
		{Name: "signed", Provider: "hmac", Secret: "s", MaxBody: MiB, Line: 11,
			HMAC: &HMAC{Header: "x-hmac", Algorithm: "sha256", Encoding: "hex"},
			Auth: &Auth{MTLS: &MTLS{}}},
	}
	if diff := cmp.Diff(want, got.Sources); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
}

// TestAuthErrors pins the messages for auth and required_headers.
func TestAuthErrors(t *testing.T) {
	t.Parallel()
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, []byte(`{"keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	// ok's lines: 1 sources, 2 the source, 3 auth, 4 the method.
	const ok = `sources:
  - name: q
    auth:
      basic: { username: gw, password: pw }
`
	tests := []struct {
		name string
		yml  string
		want string
	}{
		{"valid", ok, "<nil>"},
		{"missing password", replace(ok, ", password: pw", ""), `x.yaml:4: sources[0].auth.basic.password: required`},
		{"colon in user name", replace(ok, "username: gw", `username: "g:w"`), `x.yaml:4: sources[0].auth.basic.username: must not contain ':' (Basic credentials are user:password)`},
		{"no provider and no auth", "sources:\n  - name: q\n", `x.yaml:2: sources[0].provider: required`},
		{"auth with no method", replace(ok, "      basic: { username: gw, password: pw }\n", "      {}\n"), `x.yaml:4: sources[0].auth: set at least one method (basic, bearer, api_key, jwt, ip_allow, mtls)`},
		{"auth left empty", "sources:\n  - name: q\n    auth:\n", `x.yaml:2: sources[0].provider: required
x.yaml:3: sources[0].auth: empty: set at least one method (basic, bearer, api_key, jwt, ip_allow, mtls)`},
		{"method left empty", ok + "      mtls:\n", `x.yaml:5: sources[0].auth.mtls: empty: fill it in or remove it (mtls: {} accepts any verified certificate)`},
		{"secret without provider", replace(ok, "  - name: q\n", "  - name: q\n    secret: s\n"), `x.yaml:3: sources[0].secret: only used with a provider (this source has auth and no provider)`},
		{"hmac without provider", ok + "    hmac: { header: x-sig }\n", `x.yaml:5: sources[0].hmac: only used by provider "hmac" (set provider: hmac)`},
		{"no bearer token", ok + "      bearer: { tokens: [\"${T:-}\"] }\n", `x.yaml:5: sources[0].auth.bearer.tokens: at least one non-empty token required`},
		{"bearer tokens left out", ok + "      bearer: { }\n", `x.yaml:5: sources[0].auth.bearer.tokens: at least one non-empty token required`},
		{"token with spaces", ok + "      bearer: { tokens: [\" t\"] }\n", `x.yaml:5: sources[0].auth.bearer.tokens[0]: invalid token (has a line break, NUL, or leading or trailing space)`},
		{"api key header", ok + "      api_key: { header: \"x key\", keys: [k] }\n", `x.yaml:5: sources[0].auth.api_key.header: invalid header name "x key"`},
		{"api key without keys", ok + "      api_key: { header: x-key }\n", `x.yaml:5: sources[0].auth.api_key.keys: at least one non-empty key required`},
		{"bad CIDR", ok + "      ip_allow:\n        cidrs:\n          - 10.0.0.0/8\n          - 10.0.0.0/33\n", `x.yaml:8: sources[0].auth.ip_allow.cidrs[1]: invalid CIDR "10.0.0.0/33" (want a network such as 10.0.0.0/8, or an address)`},
		{"bad trusted proxy", ok + "      ip_allow: { cidrs: [10.0.0.1], trusted_proxies: [localhost] }\n", `x.yaml:5: sources[0].auth.ip_allow.trusted_proxies[0]: invalid CIDR "localhost" (want a network such as 10.0.0.0/8, or an address)`},
		{"no CIDRs", ok + "      ip_allow: { trusted_proxies: [127.0.0.1] }\n", `x.yaml:5: sources[0].auth.ip_allow.cidrs: required (such as [10.0.0.0/8])`},
		{"unknown jwt algorithm", ok + "      jwt:\n        algorithms: [RS256, XS256]\n        jwks_file: " + jwks + "\n", `x.yaml:6: sources[0].auth.jwt.algorithms[1]: unknown algorithm "XS256" (want HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA)`},
		{"jwt none", ok + "      jwt: { algorithms: [none], secret: s }\n", `x.yaml:5: sources[0].auth.jwt.algorithms[0]: "none" is never accepted: it means an unsigned token`},
		{"jwt algorithms required", ok + "      jwt: { secret: s }\n", `x.yaml:5: sources[0].auth.jwt.algorithms: required (for example [RS256] with a JWKS, or [HS256] with a secret)`},
		{"jwt mixed families", ok + "      jwt: { algorithms: [HS256, RS256], secret: s }\n", `x.yaml:5: sources[0].auth.jwt.algorithms: mixes HS* (shared secret) with public-key algorithms: a token must not choose which kind of key checks it; configure one kind`},
		{"jwt HS without secret", ok + "      jwt: { algorithms: [HS256] }\n", `x.yaml:5: sources[0].auth.jwt.secret: required by the HS* algorithms`},
		{"jwt HS with jwks", ok + "      jwt: { algorithms: [HS256], secret: s, jwks_url: \"https://i/\" }\n", `x.yaml:5: sources[0].auth.jwt.jwks_url: not used by the HS* algorithms (they use secret)`},
		{"jwt RS with secret", ok + "      jwt: { algorithms: [RS256], secret: s, jwks_url: \"https://i/\" }\n", `x.yaml:5: sources[0].auth.jwt.secret: only used by the HS* algorithms (public-key algorithms use jwks_file or jwks_url)`},
		{"jwt RS without jwks", ok + "      jwt: { algorithms: [ES256] }\n", `x.yaml:5: sources[0].auth.jwt.jwks_url: jwks_url or jwks_file required by the public-key algorithms`},
		{"jwt both jwks", ok + "      jwt: { algorithms: [ES256], jwks_url: \"https://i/\", jwks_file: " + jwks + " }\n", `x.yaml:5: sources[0].auth.jwt.jwks_file: set jwks_file or jwks_url, not both`},
		{"jwks over http", ok + "      jwt:\n        algorithms: [RS256]\n        jwks_url: \"http://issuer.example/jwks\"\n", `x.yaml:7: sources[0].auth.jwt.jwks_url: must be an https URL: keys fetched in clear could be swapped`},
		{"unreadable jwks file", ok + "      jwt:\n        algorithms: [RS256]\n        jwks_file: " + missing + "\n", `x.yaml:7: sources[0].auth.jwt.jwks_file: cannot read the JWKS file: open ` + missing + `: no such file or directory`},
		{"jwt header", ok + "      jwt: { algorithms: [HS256], secret: s, header: \"a b\" }\n", `x.yaml:5: sources[0].auth.jwt.header: invalid header name "a b"`},
		{"empty mtls subject", ok + "      mtls: { subjects: [\" \"] }\n", `x.yaml:5: sources[0].auth.mtls.subjects[0]: empty subject`},
		{"required headers", ok + "    required_headers:\n      - x-topic\n      - \"x topic\"\n      - X-Topic\n", `x.yaml:7: sources[0].required_headers[1]: invalid header name "x topic"
x.yaml:8: sources[0].required_headers[2]: duplicate header "X-Topic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.yaml", []byte(tt.yml), Options{Getenv: env()})
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s\nfile:\n%s", got, tt.want, tt.yml)
			}
		})
	}
}

func TestParseCIDR(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"10.0.0.0/8":          "10.0.0.0/8",
		"10.1.2.3/8":          "10.0.0.0/8",
		"192.0.2.1":           "192.0.2.1/32",
		"2001:db8::/32":       "2001:db8::/32",
		"::1":                 "::1/128",
		"::ffff:192.0.2.1":    "192.0.2.1/32",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
	} {
		got, err := ParseCIDR(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseCIDR(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "10.0.0.0/33", "fe80::1%eth0", "fe80::/10%eth0", "example.com", "10.0.0.0/-1"} {
		if _, err := ParseCIDR(in); err == nil {
			t.Errorf("ParseCIDR(%q): got no error", in)
		}
	}
}
