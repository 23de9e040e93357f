package redact

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecret(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"Authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"X-Hub-Signature-256", true},
		{"Stripe-Signature", true},
		{"X-Shopify-Hmac-Sha256", true},
		{"X-Gitlab-Token", true},
		{"X-Api-Key", true},
		{"X-Signature-Ed25519", true},
		{"X-Webhook-Secret", true},
		{"Content-Type", false},
		{"X-GitHub-Event", false},
		{"X-GitHub-Delivery", false},
		{"User-Agent", false},
	} {
		if got := Secret(tt.name); got != tt.want {
			t.Errorf("Secret(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	in := http.Header{
		"Authorization":       {"Bearer s3cret"},
		"X-Hub-Signature-256": {"sha256=abc"},
		"Cookie":              {"a=1", "b=2"},
		"Content-Type":        {"application/json"},
	}
	want := http.Header{
		"Authorization":       {Mask},
		"X-Hub-Signature-256": {Mask},
		"Cookie":              {Mask, Mask},
		"Content-Type":        {"application/json"},
	}
	if diff := cmp.Diff(want, Header(in)); diff != "" {
		t.Errorf("Header (-want +got):\n%s", diff)
	}
	if in.Get("Authorization") != "Bearer s3cret" {
		t.Error("Header changed its input")
	}
	if Header(nil) != nil {
		t.Error("Header(nil) is not nil")
	}
}

func TestQuery(t *testing.T) {
	t.Parallel()
	m := url.QueryEscape(Mask)
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"token=abc&page=2", "token=" + m + "&page=2"},
		{"hub.challenge=x&hub.verify_token=s3cret", "hub.challenge=x&hub.verify_token=" + m},
		{"sig=1&flag", "sig=" + m + "&flag"},
		{"%zz=1", "%zz=" + m},
	} {
		if got := Query(tt.in); got != tt.want {
			t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzQuery: a parameter whose name looks secret never keeps its value.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"token=abc", "a=1&api_key=2", "%zz=1&x", "=&&=", "Sig%6eature=v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Query(raw)
		for _, p := range strings.Split(got, "&") {
			k, v, ok := strings.Cut(p, "=")
			name, err := url.QueryUnescape(k)
			if ok && (err != nil || Secret(name)) && v != url.QueryEscape(Mask) {
				t.Fatalf("Query(%q) = %q keeps %q", raw, got, p)
			}
		}
	})
}

// TestSecretFolds checks names that only match once lowered, ASCII or not.
func TestSecretFolds(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"X-API-KEY", "x-Hub-SIGNATURE-256", "\u212Aey", "Api\u212Aey", "SeSsIoN"} {
		if !Secret(name) {
			t.Errorf("Secret(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"Content-Type", "X-Request-Id", "K", ""} {
		if Secret(name) {
			t.Errorf("Secret(%q) = true, want false", name)
		}
	}
}

func BenchmarkSecret(b *testing.B) {
	names := []string{"Content-Type", "User-Agent", "Webhook-Signature", "X-Github-Delivery", "Traceparent"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Secret(names[i%len(names)])
	}
}
