package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

const (
	githubSecret = "gh-e2e-secret-value"
	xSecret      = "x-e2e-secret-value"
	ordersSecret = "s3cret"
	swSecret     = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// config is the example config, pointed at a sink and a temp folder,
// plus a Standard Webhooks source with a small body limit.
func config(dir, sinkURL string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
sources:
  - { name: github, provider: github, secret: "${GITHUB_WEBHOOK_SECRET}" }
  - { name: x, provider: x, secret: "${X_CONSUMER_SECRET}" }
  - { name: orders, provider: hmac, secret: %q, hmac: { header: x-hmac, algorithm: sha256, encoding: hex } }
  - { name: sw, provider: standardwebhooks, secret: %q, max_body: 64KiB }
destinations:
  - { name: app, url: %q, timeout: 5s, retry: { max_attempts: 5, initial: 200ms, max: 5s } }
  - { name: console, type: log }
routes:
  - { from: [github, x, orders, sw], to: [app, console] }
`, filepath.Join(dir, "data", "hookgate.db"), ordersSecret, swSecret, sinkURL)
}

var secretsEnv = []string{"GITHUB_WEBHOOK_SECRET=" + githubSecret, "X_CONSUMER_SECRET=" + xSecret}

// accepted sends req and checks it was accepted (or found duplicate).
func accepted(t *testing.T, req *http.Request) (id, state string) {
	t.Helper()
	status, body := do(t, req)
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", status, body)
	}
	var a struct{ ID, Status string }
	if err := json.Unmarshal(body, &a); err != nil || a.ID == "" {
		t.Fatalf("answer %s: not an acceptance (%v)", body, err)
	}
	return a.ID, a.Status
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sk := newSink(t)
	g := start(t, writeConfig(t, dir, config(dir, sk.url)), secretsEnv...)

	// Bodies with raw-body traps: non-ASCII, escaped slashes, CRLF.
	ghBody := []byte("{\"ref\":\"refs\\/heads\\/main\",\"msg\":\"h\u00e9llo \u2603\",\"n\":1}\r\n")
	xBody := []byte(`{"for_user_id":"2244994945","tweet_create_events":[{"text":"hi"}]}`)
	ordersBody := []byte(`{"order":42,"total":"9.99"}`)
	swBody := []byte(`{"type":"invoice.paid","data":{"id":"in_1"}}`)

	sent := map[string][]byte{} // event id -> body
	ghReq := signed(t, "github", githubSecret, g.url("/in/github"), ghBody,
		http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}})
	ghID, st := accepted(t, ghReq)
	if st != "accepted" {
		t.Fatalf("github: status %q, want accepted", st)
	}
	sent[ghID] = ghBody
	for _, c := range []struct {
		provider, secret, source string
		body                     []byte
	}{
		{"x", xSecret, "x", xBody},
		{"hmac", ordersSecret, "orders", ordersBody},
		{"standardwebhooks", swSecret, "sw", swBody},
	} {
		id, _ := accepted(t, signedGeneric(t, c.provider, c.secret, g.url("/in/"+c.source), c.body))
		sent[id] = c.body
	}

	waitFor(t, 10*time.Second, "4 deliveries at the sink", func() bool { return sk.count() >= 4 })

	// A replay of the GitHub delivery is answered 200 as a duplicate and not
	// delivered again.
	dupID, st := accepted(t, signed(t, "github", githubSecret, g.url("/in/github"), ghBody,
		http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}))
	if st != "duplicate" || dupID != ghID {
		t.Errorf("replayed github delivery: got (%s, %s), want (%s, duplicate)", dupID, st, ghID)
	}

	t.Run("handshakes and refusals", func(t *testing.T) {
		status, body := do(t, mustReq(t, http.MethodGet, g.url("/in/x?crc_token=challenge-123"), nil))
		mac := hmac.New(sha256.New, []byte(xSecret))
		mac.Write([]byte("challenge-123"))
		want := `{"response_token":"sha256=` + base64.StdEncoding.EncodeToString(mac.Sum(nil)) + `"}`
		if status != 200 || strings.TrimSpace(string(body)) != want {
			t.Errorf("CRC: got %d %s, want 200 %s", status, body, want)
		}
		status, body = do(t, mustReq(t, http.MethodGet, g.url("/in/x"), nil))
		if status != 400 || !json.Valid(body) {
			t.Errorf("CRC without token: got %d %s, want 400 with a JSON error", status, body)
		}

		bad := signed(t, "github", "not-the-secret", g.url("/in/github"), ghBody, http.Header{"X-Github-Delivery": {"bad-1"}})
		if status, body := do(t, bad); status != 401 || errorCode(body) != "signature_invalid" {
			t.Errorf("bad signature: got %d %s, want 401 signature_invalid", status, body)
		}
		unsigned := mustReq(t, http.MethodPost, g.url("/in/orders"), ordersBody)
		if status, body := do(t, unsigned); status != 401 {
			t.Errorf("missing signature: got %d %s, want 401", status, body)
		}
		if status, body := do(t, mustReq(t, http.MethodPost, g.url("/in/nope"), ordersBody)); status != 404 || errorCode(body) != "unknown_source" {
			t.Errorf("unknown source: got %d %s, want 404 unknown_source", status, body)
		}
		if status, body := do(t, mustReq(t, http.MethodGet, g.url("/in/github"), nil)); status != 405 {
			t.Errorf("GET on github: got %d %s, want 405", status, body)
		}
		// 100 KiB against a 64 KiB limit, chunked (no Content-Length) and not.
		big := bytes.Repeat([]byte("a"), 100<<10)
		chunked := mustReq(t, http.MethodPost, g.url("/in/sw"), nil)
		chunked.Body = io.NopCloser(bytes.NewReader(big))
		chunked.ContentLength = -1
		if status, body := do(t, chunked); status != 413 || errorCode(body) != "body_too_large" {
			t.Errorf("chunked oversize: got %d %s, want 413 body_too_large", status, body)
		}
		if status, body := do(t, mustReq(t, http.MethodPost, g.url("/in/sw"), big)); status != 413 {
			t.Errorf("oversize with Content-Length: got %d %s, want 413", status, body)
		}
	})

	// Every accepted body reached the sink byte for byte, once, with its id.
	got := sk.snapshot()
	if len(got) != len(sent) {
		t.Errorf("sink got %d deliveries, want %d", len(got), len(sent))
	}
	for _, r := range got {
		want, ok := sent[r.EventID]
		if !ok {
			t.Errorf("sink got unknown event id %q", r.EventID)
			continue
		}
		if !bytes.Equal(r.Body, want) {
			t.Errorf("event %s: sink body %q, want %q", r.EventID, r.Body, want)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("event %s: content type %q, want application/json", r.EventID, r.Header.Get("Content-Type"))
		}
		if r.Header.Get("Hookgate-Source") == "" {
			t.Errorf("event %s: no Hookgate-Source header", r.EventID)
		}
	}
	waitFor(t, 5*time.Second, "the console destination to print the github event", func() bool {
		return strings.Contains(g.stdout.String(), ghID)
	})
	g.stop()

	// The refusals were recorded, with reasons and never a secret.
	st2 := openStore(t, filepath.Join(dir, "data", "hookgate.db"))
	rej, err := st2.Rejections(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, r := range rej {
		reasons[r.Source+": "+r.Reason]++
	}
	if len(rej) < 4 {
		t.Errorf("recorded %d refusals, want at least 4 (bad signature, missing signature, 2x oversize): %v", len(rej), reasons)
	}
	logs := g.stderr.String() + g.stdout.String()
	for _, secret := range []string{githubSecret, xSecret, ordersSecret, swSecret} {
		if strings.Contains(logs, secret) || strings.Contains(fmt.Sprint(reasons), secret) {
			t.Errorf("a secret appears in the logs or the refusals")
		}
	}
	// Each accepted event has a succeeded delivery to app and to console.
	for id := range sent {
		ds, err := st2.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 {
			t.Errorf("event %s: %d deliveries, want 2", id, len(ds))
		}
		for _, d := range ds {
			if d.State != event.Succeeded {
				t.Errorf("event %s to %s: state %s, want succeeded", id, d.Destination, d.State)
			}
		}
	}
}

// signedGeneric signs with the project's signer for providers whose headers
// the signer sets itself.
func signedGeneric(t *testing.T, provider, secret, target string, body []byte) *http.Request {
	return signed(t, provider, secret, target, body, nil)
}

func mustReq(t *testing.T, method, target string, body []byte) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// openStore opens a stopped gateway's database for inspection.
func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
