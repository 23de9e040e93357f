package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apiFile is a minimal config whose api section (line 3 on) is api.
func apiFile(api string) string {
	return "sources:\n  - { name: gh, provider: github, secret: s }\n" + api
}

func TestAPI(t *testing.T) {
	t.Parallel()
	digest := strings.Repeat("ab", 32)
	c, err := Parse("x.yaml", []byte(apiFile(`api:
  listen: "127.0.0.1:9090"
  tokens:
    - { name: ci, token: "${CI_TOKEN}" }
    - { name: ops, token_sha256: "`+strings.ToUpper(digest)+`", scope: admin }
`)), Options{Getenv: env("CI_TOKEN", "0123456789abcdef0123")})
	if err != nil {
		t.Fatal(err)
	}
	want := API{Listen: "127.0.0.1:9090", Tokens: []APIToken{
		{Name: "ci", Token: "0123456789abcdef0123", Scope: "read"},
		{Name: "ops", TokenSHA256: strings.ToUpper(digest), Scope: "admin"},
	}}
	if diff := cmp.Diff(want, c.API); diff != "" {
		t.Errorf("api (-want +got):\n%s", diff)
	}
}

// TestAPIErrors pins the api section's messages, each at its file:line,
// and checks that none repeats a token.
func TestAPIErrors(t *testing.T) {
	t.Parallel()
	const short = "tooshort"
	for _, tc := range []struct {
		name, api, want string
	}{
		{"listen", "api:\n  listen: nowhere\n",
			"x.yaml:4: api.listen: invalid address \"nowhere\" (want host:port or :port)"},
		{"listen twice", "listen: \":8080\"\napi:\n  listen: \":8080\"\n",
			"x.yaml:5: api.listen: same address as listen; leave api.listen out to serve the API there"},
		{"no token", "api:\n  tokens:\n    - { name: ci }\n",
			"x.yaml:5: api.tokens[0].token: required (or token_sha256)"},
		{"both", "api:\n  tokens:\n    - name: ci\n      token: 0123456789abcdef\n      token_sha256: " + strings.Repeat("0", 64) + "\n",
			"x.yaml:7: api.tokens[0].token_sha256: give token or token_sha256, not both"},
		{"short", "api:\n  tokens:\n    - name: ci\n      token: " + short + "\n",
			"x.yaml:6: api.tokens[0].token: too short: 8 bytes, want at least 16 (such as the output of `openssl rand -hex 32`)"},
		{"bad digest", "api:\n  tokens:\n    - name: ci\n      token_sha256: abc\n",
			"x.yaml:6: api.tokens[0].token_sha256: want 64 hex digits (a SHA-256 digest)"},
		{"scope", "api:\n  tokens:\n    - name: ci\n      token: 0123456789abcdef\n      scope: write\n",
			"x.yaml:7: api.tokens[0].scope: invalid value \"write\" (want read, admin)"},
		{"name", "api:\n  tokens:\n    - { name: \"c i\", token: 0123456789abcdef }\n",
			"x.yaml:5: api.tokens[0].name: invalid name \"c i\": use 1 to 64 letters, digits, '-' or '_'"},
		{"duplicate name", "api:\n  tokens:\n    - { name: ci, token: 0123456789abcdef }\n    - { name: ci, token: 0123456789abcdeg }\n",
			"x.yaml:6: api.tokens[1].name: duplicate name \"ci\" (also api.tokens[0])"},
		{"same token twice", "api:\n  tokens:\n    - { name: a, token: 0123456789abcdef }\n" +
			"    - { name: b, token_sha256: 9a3b4a4e9ed5ec5c07ff8cd5e1f0ef4a7b1b2e5a07d0d0ad30e41a0f4f7a5d66 }\n" +
			"    - { name: c, token: 0123456789abcdef }\n",
			"x.yaml:7: api.tokens[2]: same token as api.tokens[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("x.yaml", []byte(apiFile(tc.api)), Options{})
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Parse:\n got %s\nwant %s", got, tc.want)
			}
			if strings.Contains(got, short) || strings.Contains(got, "0123456789abcdef") {
				t.Errorf("the message repeats a token: %s", got)
			}
		})
	}
}
