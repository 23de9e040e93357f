package auth

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/hookgate/hookgate/internal/config"
)

// TestPolicyAllMustPass checks that methods combine: every one must pass,
// and the network checks come first.
func TestPolicyAllMustPass(t *testing.T) {
	t.Parallel()
	p := newPolicy(t, &config.Auth{
		Bearer:  &config.BearerAuth{Tokens: []string{"tok"}},
		APIKey:  &config.APIKeyAuth{Header: "x-api-key", Keys: []string{"key"}},
		IPAllow: &config.IPAllow{CIDRs: []string{"192.0.2.0/24"}},
	}, Options{})
	tests := []struct {
		name    string
		remote  string
		headers []string
		status  int
		reason  string
	}{
		{"all pass", "192.0.2.1:1", []string{"Authorization", "Bearer tok", "X-Api-Key", "key"}, 0, ""},
		{"no API key", "192.0.2.1:1", []string{"Authorization", "Bearer tok"}, 401, "missing API key"},
		{"wrong bearer", "192.0.2.1:1", []string{"Authorization", "Bearer x", "X-Api-Key", "key"}, 401, "wrong bearer token"},
		{"address first", "203.0.113.1:1", []string{"Authorization", "Bearer x"}, 403, "client address not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkResult(t, p.Authenticate(request(tt.remote, tt.headers...), nil), tt.status, tt.reason)
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.json")
	tests := []struct {
		name  string
		c     *config.Auth
		field string
	}{
		{"nothing", &config.Auth{}, "auth"},
		{"bad CIDR", &config.Auth{IPAllow: &config.IPAllow{CIDRs: []string{"10.0.0.0/33"}}}, "auth.ip_allow"},
		{"unreadable JWKS file", &config.Auth{JWT: &config.JWTAuth{Algorithms: []string{"RS256"}, JWKSFile: missing}}, "auth.jwt.jwks_file"},
		{"not a JWKS", &config.Auth{JWT: &config.JWTAuth{Algorithms: []string{"RS256"}, JWKSFile: "auth.go"}}, "auth.jwt.jwks_file"},
		{"no JWT algorithm", &config.Auth{JWT: &config.JWTAuth{Secret: "s"}}, "auth.jwt.algorithms"},
		{"JWT alg none", &config.Auth{JWT: &config.JWTAuth{Algorithms: []string{"none"}, Secret: "s"}}, "auth.jwt.algorithms"},
		{"RS256 with a secret", &config.Auth{JWT: &config.JWTAuth{Algorithms: []string{"HS256", "RS256"}, Secret: "s"}}, "auth.jwt.algorithms"},
		{"HS256 with a JWKS", &config.Auth{JWT: &config.JWTAuth{Algorithms: []string{"HS256"}, JWKSURL: "https://issuer.example/jwks"}}, "auth.jwt.algorithms"},
		{"JWKS without usable keys", &config.Auth{JWT: &config.JWTAuth{Algorithms: []string{"RS256"}, JWKSFile: "testdata/oct.jwks.json"}}, "auth.jwt.jwks_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.c, Options{})
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("got %v, want a FieldError for %s", err, tt.field)
			}
		})
	}
}
