package destination

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/verify"
)

func newSecret(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// verifyStandard checks r with hookgate's own standardwebhooks verifier,
// as a receiving service would with the same secret.
func verifyStandard(t *testing.T, secret string, r received, now time.Time) error {
	t.Helper()
	p, err := verify.New("standardwebhooks", verify.Options{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	return p.Verify(&verify.Request{Method: r.Method, URL: &url.URL{Path: r.Path}, Header: r.Header, Body: r.Body, Now: now})
}

func TestHTTPSignsWithStandardWebhooks(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	secret := newSecret(t)
	now := time.Date(2026, 5, 1, 12, 0, 5, 0, time.UTC)
	h := newHTTP(t, HTTPConfig{URL: srv.URL, Secret: secret, Now: func() time.Time { return now }})
	ev := testEvent([]byte(`{"type":"invoice.paid","n":1}`), "application/json")
	if res := h.Deliver(t.Context(), ev, testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v, want status 200", res)
	}
	r := <-got
	if g := r.Header.Get("Webhook-Id"); g != ev.ID {
		t.Errorf("webhook-id = %q, want the event id %q", g, ev.ID)
	}
	if g, want := r.Header.Get("Webhook-Timestamp"), strconv.FormatInt(now.Unix(), 10); g != want {
		t.Errorf("webhook-timestamp = %q, want %q", g, want)
	}
	if g := r.Header.Get("Webhook-Signature"); !strings.HasPrefix(g, "v1,") {
		t.Errorf("webhook-signature = %q, want v1,<base64>", g)
	}
	if err := verifyStandard(t, secret, r, now.Add(time.Minute)); err != nil {
		t.Errorf("the standardwebhooks verifier refused the forwarded request: %v", err)
	}
	if err := verifyStandard(t, newSecret(t), r, now); err == nil {
		t.Error("a verifier with another secret accepted the request")
	}
	r.Body = append(r.Body, ' ')
	if err := verifyStandard(t, secret, r, now); err == nil {
		t.Error("the verifier accepted a changed body")
	}
}

func TestHTTPSignsEmptyBody(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	secret := newSecret(t)
	h := newHTTP(t, HTTPConfig{URL: srv.URL, Secret: secret})
	if res := h.Deliver(t.Context(), testEvent(nil, ""), testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v, want status 200", res)
	}
	if err := verifyStandard(t, secret, <-got, time.Now()); err != nil {
		t.Errorf("verifier refused an empty body: %v", err)
	}
}

func TestHTTPUnsignedWithoutSecret(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	if res := newHTTP(t, HTTPConfig{URL: srv.URL}).Deliver(t.Context(), testEvent([]byte("{}"), ""), testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v", res)
	}
	r := <-got
	for _, k := range []string{"Webhook-Signature", "Webhook-Timestamp"} {
		if v, ok := r.Header[k]; ok {
			t.Errorf("%s = %q without a secret, want none", k, v)
		}
	}
}

func TestHTTPSecretErrors(t *testing.T) {
	t.Parallel()
	const bad = "not base64 at all!"
	_, err := NewHTTP(HTTPConfig{URL: "http://127.0.0.1:1/", Secret: bad})
	if err == nil || !strings.HasPrefix(err.Error(), "secret:") {
		t.Fatalf("NewHTTP with a bad secret = %v, want a secret error", err)
	}
	if strings.Contains(err.Error(), bad) {
		t.Errorf("error %q quotes the secret", err)
	}
	for _, k := range []string{"webhook-signature", "Webhook-Timestamp"} {
		if _, err := NewHTTP(HTTPConfig{URL: "http://127.0.0.1:1/", Headers: map[string]string{k: "x"}}); err == nil {
			t.Errorf("NewHTTP with static header %s: no error, want one", k)
		}
	}
}
