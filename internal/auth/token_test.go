package auth

import (
	"testing"

	"github.com/hookgate/hookgate/internal/config"
)

func TestBearer(t *testing.T) {
	t.Parallel()
	p := newPolicy(t, &config.Auth{Bearer: &config.BearerAuth{Tokens: []string{"t-one", "", "t-two"}}}, Options{})
	tests := []struct {
		name    string
		headers []string
		status  int
		reason  string
	}{
		{"first token", []string{"Authorization", "Bearer t-one"}, 0, ""},
		{"second token (rotation)", []string{"Authorization", "Bearer t-two"}, 0, ""},
		{"scheme in lower case", []string{"Authorization", "bearer t-two"}, 0, ""},
		{"wrong", []string{"Authorization", "Bearer t-three"}, 401, "wrong bearer token"},
		{"prefix of a token", []string{"Authorization", "Bearer t-"}, 401, "wrong bearer token"},
		{"empty token never matches", []string{"Authorization", "Bearer "}, 401, "malformed bearer token"},
		{"missing", nil, 401, "missing bearer token"},
		{"other scheme", []string{"Authorization", "Token t-one"}, 401, "malformed bearer token"},
		{"two words", []string{"Authorization", "Bearer t-one t-two"}, 401, "malformed bearer token"},
		{"sent twice", []string{"Authorization", "Bearer t-one", "Authorization", "Bearer t-two"}, 401, "missing bearer token"},
		{"in another header", []string{"X-Token", "t-one"}, 401, "missing bearer token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkResult(t, p.Authenticate(request("192.0.2.1:5000", tt.headers...), nil), tt.status, tt.reason)
		})
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	plain := newPolicy(t, &config.Auth{APIKey: &config.APIKeyAuth{Header: "x-api-key", Keys: []string{"k1", "k2"}}}, Options{})
	prefixed := newPolicy(t, &config.Auth{APIKey: &config.APIKeyAuth{Header: "Authorization", Prefix: "Key ", Keys: []string{"k1"}}}, Options{})
	tests := []struct {
		name    string
		p       *Policy
		headers []string
		status  int
		reason  string
	}{
		{"valid", plain, []string{"X-Api-Key", "k1"}, 0, ""},
		{"rotation", plain, []string{"x-api-key", "k2"}, 0, ""},
		{"wrong", plain, []string{"X-Api-Key", "k3"}, 401, "wrong API key"},
		{"missing", plain, nil, 401, "missing API key"},
		{"empty", plain, []string{"X-Api-Key", ""}, 401, "missing API key"},
		{"prefix", prefixed, []string{"Authorization", "Key k1"}, 0, ""},
		{"prefix missing", prefixed, []string{"Authorization", "k1"}, 401, "malformed API key"},
		{"prefix only", prefixed, []string{"Authorization", "Key "}, 401, "malformed API key"},
		{"prefix wrong key", prefixed, []string{"Authorization", "Key k2"}, 401, "wrong API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkResult(t, tt.p.Authenticate(request("192.0.2.1:5000", tt.headers...), nil), tt.status, tt.reason)
		})
	}
}

// TestTokenComparesEveryToken checks that a presented token is compared,
// in constant time, with every accepted token, wherever it matches.
func TestTokenComparesEveryToken(t *testing.T) {
	t.Parallel()
	for _, presented := range []string{"a", "b", "c", "nope", "a-much-longer-token-than-any"} {
		p := newPolicy(t, &config.Auth{Bearer: &config.BearerAuth{Tokens: []string{"a", "b", "c"}}}, Options{})
		n := 0
		countCompares(p, &n)
		_ = p.Authenticate(request("192.0.2.1:5000", "Authorization", "Bearer "+presented), nil)
		if n != 3 {
			t.Errorf("%q: got %d constant-time compares, want 3", presented, n)
		}
	}
}
