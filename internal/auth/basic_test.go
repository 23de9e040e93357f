package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/internal/config"
)

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestBasic(t *testing.T) {
	t.Parallel()
	p := newPolicy(t, &config.Auth{Basic: &config.BasicAuth{Username: "gw", Password: "pa:ss"}}, Options{})
	tests := []struct {
		name    string
		headers []string
		status  int
		reason  string
	}{
		{"valid", []string{"Authorization", basicHeader("gw", "pa:ss")}, 0, ""},
		{"scheme in lower case", []string{"Authorization", "basic " + base64.StdEncoding.EncodeToString([]byte("gw:pa:ss"))}, 0, ""},
		{"wrong user", []string{"Authorization", basicHeader("gx", "pa:ss")}, 401, "wrong basic credentials"},
		{"wrong password", []string{"Authorization", basicHeader("gw", "pa:st")}, 401, "wrong basic credentials"},
		{"password prefix", []string{"Authorization", basicHeader("gw", "pa")}, 401, "wrong basic credentials"},
		{"empty password", []string{"Authorization", basicHeader("gw", "")}, 401, "wrong basic credentials"},
		{"missing", nil, 401, "missing basic credentials"},
		{"sent twice", []string{"Authorization", basicHeader("gw", "pa:ss"), "Authorization", basicHeader("gw", "pa:ss")}, 401, "missing basic credentials"},
		{"bearer instead", []string{"Authorization", "Bearer abc"}, 401, "malformed basic credentials"},
		{"bad base64", []string{"Authorization", "Basic !!!"}, 401, "malformed basic credentials"},
		{"no colon", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("gw"))}, 401, "malformed basic credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := p.Authenticate(request("192.0.2.1:5000", tt.headers...), nil)
			checkResult(t, err, tt.status, tt.reason)
			var f *Failure
			if errors.As(err, &f) && f.Challenge != basicChallenge {
				t.Errorf("got challenge %q, want %q", f.Challenge, basicChallenge)
			}
		})
	}
}

// TestBasicComparesBoth checks that the user name and the password are
// both compared, in constant time, whatever is wrong.
func TestBasicComparesBoth(t *testing.T) {
	t.Parallel()
	for _, h := range []string{basicHeader("gw", "pw"), basicHeader("nobody", "pw"), basicHeader("gw", "nope"), basicHeader("x", "y")} {
		p := newPolicy(t, &config.Auth{Basic: &config.BasicAuth{Username: "gw", Password: "pw"}}, Options{})
		n := 0
		countCompares(p, &n)
		_ = p.Authenticate(request("192.0.2.1:5000", "Authorization", h), nil)
		if n != 2 {
			t.Errorf("%s: got %d constant-time compares, want 2", h, n)
		}
	}
}

func TestParseBasic(t *testing.T) {
	t.Parallel()
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	for _, v := range []string{basicHeader("a", "b:c"), "Basic", "Basic ", "BASIC YTpi", "Basic YTpi extra", basicHeader("", "")} {
		r.Header.Set("Authorization", v)
		wantU, wantP, wantOK := r.BasicAuth()
		u, p, ok := parseBasic(v)
		if u != wantU || p != wantP || ok != wantOK {
			t.Errorf("parseBasic(%q) = %q, %q, %v; net/http says %q, %q, %v", v, u, p, ok, wantU, wantP, wantOK)
		}
	}
}
