package apitoken

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/config"
)

func digestOf(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

func TestLookup(t *testing.T) {
	t.Parallel()
	set, err := New([]config.APIToken{
		{Name: "ci", Token: "read-token-0123456789", Scope: "read"},
		{Name: "ops", TokenSHA256: strings.ToUpper(digestOf("admin-token-0123456789")), Scope: "admin"},
		{Name: "ops2", Token: "second-admin-0123456789", Scope: "admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		presented string
		name      string
		scope     Scope
		ok        bool
	}{
		{"read-token-0123456789", "ci", Read, true},
		{"admin-token-0123456789", "ops", Admin, true},
		{"second-admin-0123456789", "ops2", Admin, true},
		{"read-token-012345678", "", 0, false},
		{"READ-TOKEN-0123456789", "", 0, false},
		{digestOf("admin-token-0123456789"), "", 0, false}, // the digest is not the token
		{"", "", 0, false},
	}
	for _, tt := range tests {
		got, ok := set.Lookup(tt.presented)
		if ok != tt.ok || got.Name != tt.name || got.Scope != tt.scope {
			t.Errorf("Lookup(%q) = %q %v %v, want %q %v %v", tt.presented, got.Name, got.Scope, ok, tt.name, tt.scope, tt.ok)
		}
	}
	if name, scope, ok := set.Authenticate("admin-token-0123456789"); name != "ops" || scope != "admin" || !ok {
		t.Errorf("Authenticate = %q %q %v, want ops admin true", name, scope, ok)
	}
	if set.Len() != 3 {
		t.Errorf("Len = %d, want 3", set.Len())
	}
	var none *Set
	if _, ok := none.Lookup("read-token-0123456789"); ok || none.Len() != 0 {
		t.Error("a nil set matched a token")
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []config.APIToken{
		{Name: "a", Token: "0123456789abcdef", Scope: "write"},
		{Name: "a", TokenSHA256: "zz", Scope: "read"},
		{Name: "a", TokenSHA256: "abcd", Scope: "read"},
	} {
		if _, err := New([]config.APIToken{c}); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}

func TestScopeAllows(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		have, want Scope
		ok         bool
	}{{Read, Read, true}, {Read, Admin, false}, {Admin, Read, true}, {Admin, Admin, true}, {0, Read, false}} {
		if got := tt.have.Allows(tt.want); got != tt.ok {
			t.Errorf("%v.Allows(%v) = %v, want %v", tt.have, tt.want, got, tt.ok)
		}
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header []string
		want   string
		err    string
	}{
		{[]string{"Bearer abc"}, "abc", ""},
		{[]string{"bearer  abc "}, "abc", ""},
		{nil, "", "no bearer token"},
		{[]string{"Basic dXNlcjpwYXNz"}, "", "authorization is not a bearer token"},
		{[]string{"Bearer"}, "", "authorization is not a bearer token"},
		{[]string{"Bearer a b"}, "", "malformed bearer token"},
		{[]string{"Bearer a", "Bearer b"}, "", "more than one Authorization header"},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.header {
			h.Add("Authorization", v)
		}
		got, err := Bearer(h)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("Bearer(%q) = %q, %q; want %q, %q", tt.header, got, gotErr, tt.want, tt.err)
		}
	}
	if _, err := Bearer(http.Header{}); !errors.Is(err, ErrNoToken) {
		t.Errorf("Bearer without a header: %v, want ErrNoToken", err)
	}
}

// FuzzBearer: Bearer never panics, and a token it returns is a non-empty
// substring of the header with no spaces.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer", "Basic x", "Bearer  a b", " Bearer\tq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, err := Bearer(http.Header{"Authorization": {v}})
		if err != nil {
			return
		}
		if tok == "" || !strings.Contains(v, tok) || strings.ContainsAny(tok, " \t") {
			t.Fatalf("Bearer(%q) = %q", v, tok)
		}
	})
}
