package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/verify"
)

// A GET-style sender (Vonage inbound SMS puts every field in the query) is
// verified, stored, and delivered with its query as the payload.
func TestGETStyleWebhook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var got = make(chan *http.Request, 4)
	sinkURL := serveLocal(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r
	}))
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
sources:
  - { name: sms, provider: vonage-sms, secret: sms-signing-secret, signature_method: md5hash }
destinations:
  - { name: app, url: %q, timeout: 5s }
routes:
  - { from: [sms], to: [app] }
`, filepath.Join(dir, "hookgate.db"), sinkURL+"inbound"))
	g := start(t, cfg)

	signer, err := verify.NewSigner("vonage-sms", verify.Options{Secrets: []string{"sms-signing-secret"}, SignatureMethod: "md5hash"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(g.url("/in/sms?msisdn=447700900001&to=447700900000&messageId=0A0000000123ABCD1&text=Hello+world&type=text"))
	vr := &verify.Request{Method: http.MethodGet, URL: u, Header: http.Header{}, Now: time.Now()}
	if err := signer.Sign(vr); err != nil {
		t.Fatal(err)
	}
	status, body := do(t, mustReq(t, http.MethodGet, vr.URL.String(), nil))
	if status != http.StatusOK {
		t.Fatalf("signed GET: %d %s, want 200", status, body)
	}
	bad := *vr.URL
	q := bad.Query()
	q.Set("text", "Goodbye")
	bad.RawQuery = q.Encode()
	if status, body := do(t, mustReq(t, http.MethodGet, bad.String(), nil)); status != http.StatusUnauthorized {
		t.Errorf("tampered GET: %d %s, want 401", status, body)
	}

	select {
	case r := <-got:
		if r.URL.RawQuery != vr.URL.RawQuery {
			t.Errorf("destination got query %q, want the sender's %q", r.URL.RawQuery, vr.URL.RawQuery)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the GET-style event was not delivered")
	}
	g.stop()
}
