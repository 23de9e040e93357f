package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// TestGitHubVector is the example in GitHub's "Validating webhook
// deliveries" documentation.
func TestGitHubVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "It's a Secret to Everybody"
		body   = "Hello, World!"
		want   = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	)
	o := Options{Secrets: []string{secret}}
	r := signed(t, "github", o, []byte(body))
	if got := r.Header.Get("X-Hub-Signature-256"); got != want {
		t.Errorf("Sign: got %q, want %q", got, want)
	}
	v := post([]byte(body))
	v.Header.Set("X-Hub-Signature-256", want)
	if got := reason(newProvider(t, "github", o).Verify(v)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
}

func TestGitHubUpperCaseHex(t *testing.T) {
	t.Parallel()
	o := Options{Secrets: []string{"s"}}
	r := signed(t, "github", o, []byte(`{}`))
	sig := r.Header.Get("X-Hub-Signature-256")
	r.Header.Set("X-Hub-Signature-256", "sha256="+strings.ToUpper(strings.TrimPrefix(sig, "sha256=")))
	if got := reason(newProvider(t, "github", o).Verify(r)); got != "" {
		t.Errorf("Verify: got %q, want %q", got, "")
	}
}

// TestGitHubRawBody computes the signature independently of the Signer.
func TestGitHubRawBody(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	p := newProvider(t, "github", Options{Secrets: []string{secret}})
	for name, trap := range trapBodies() {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(trap[0]))
		r := post([]byte(trap[0]))
		r.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		if got := reason(p.Verify(r)); got != "" {
			t.Errorf("%s: got %q, want %q", name, got, "")
		}
	}
}

func TestGitHubIdentifyAndChallenge(t *testing.T) {
	t.Parallel()
	o := Options{Secrets: []string{"s"}}
	p := newProvider(t, "github", o)
	// ping is an ordinary signed event.
	r := signed(t, "github", o, []byte(`{"zen":"Design for failure.","hook_id":42}`))
	r.Header.Set("X-GitHub-Event", "ping")
	r.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if resp, ok := p.Challenge(r); ok {
		t.Errorf("Challenge(POST): got %+v, true; want no handshake", resp)
	}
	if got := reason(p.Verify(r)); got != "" {
		t.Errorf("Verify(ping): got %q, want %q", got, "")
	}
	want := Identity{Type: "ping", DeliveryID: "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
	if got := p.Identify(r); got != want {
		t.Errorf("Identify: got %+v, want %+v", got, want)
	}
	get := post(nil)
	get.Method = http.MethodGet
	if resp, ok := p.Challenge(get); ok {
		t.Errorf("Challenge(GET): got %+v, true; want no handshake", resp)
	}
	if got := p.Identify(post(nil)); got != (Identity{}) {
		t.Errorf("Identify(no headers): got %+v, want zero", got)
	}
}
