package ingest

import (
	"bytes"
	"cmp"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/auth"
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/verify"
)

// authFunc is a hand-written Authenticator.
type authFunc func(r *http.Request) error

func (f authFunc) Authenticate(r *http.Request, _ []byte) error { return f(r) }

// newAuthHandler serves:
//   - queue: no provider, bearer token "tok-7f3a9", required header x-topic;
//   - lan: no provider, only 192.0.2.0/24;
//   - signed: provider hmac behind bearer token "tok-7f3a9";
//   - keys: no provider, an Authenticator that fails with err;
//   - x: provider x behind bearer token "tok-7f3a9" (its handshake needs none).
func newAuthHandler(t *testing.T, st Store, err error) http.Handler {
	t.Helper()
	policy := func(c *config.Auth) *auth.Policy {
		p, err := auth.New(c, auth.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok := policy(&config.Auth{Bearer: &config.BearerAuth{Tokens: []string{"tok-7f3a9"}}})
	hm, perr := verify.New("hmac", verify.Options{Secrets: []string{secret}, HMAC: verify.HMACOptions{Header: "x-hmac"}})
	if perr != nil {
		t.Fatal(perr)
	}
	x, perr := verify.New("x", verify.Options{Secrets: []string{secret}})
	if perr != nil {
		t.Fatal(perr)
	}
	h := New([]Source{
		{Name: "queue", Auth: tok, RequiredHeaders: []string{"x-topic"}, MaxBody: 1024, Router: staticRouter{"app"}},
		{Name: "lan", Auth: policy(&config.Auth{IPAllow: &config.IPAllow{CIDRs: []string{"192.0.2.0/24"}}}), MaxBody: 1024},
		{Name: "signed", Provider: hm, Auth: tok, MaxBody: 1024},
		{Name: "keys", Auth: authFunc(func(*http.Request) error { return err }), MaxBody: 1024},
		{Name: "x", Provider: x, Auth: tok, MaxBody: 1024},
	}, st, Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", h)
	return mux
}

func TestAuth(t *testing.T) {
	t.Parallel()
	body := []byte(`{"n":1}`)
	unavailable := &auth.Failure{Status: 503, Reason: "token signing keys unavailable; retry later"}
	cases := []struct {
		name       string
		method     string
		path       string
		remote     string
		header     []string
		signed     bool
		err        error // of the "keys" source's Authenticator
		wantStatus int
		wantCode   string
		wantHeader []string // name, value of the answer
		wantReason string   // of the recorded rejection; "" means none
	}{
		{name: "no provider, authenticated", path: "/in/queue", header: []string{"Authorization", "Bearer tok-7f3a9", "X-Topic", "orders"},
			wantStatus: 200, wantCode: "accepted"},
		{name: "no credentials", path: "/in/queue", header: []string{"X-Topic", "orders"},
			wantStatus: 401, wantCode: "auth_failed", wantHeader: []string{"WWW-Authenticate", `Bearer realm="hookgate"`}, wantReason: "missing bearer token"},
		{name: "wrong token", path: "/in/queue", header: []string{"Authorization", "Bearer secret-guess", "X-Topic", "orders"},
			wantStatus: 401, wantCode: "auth_failed", wantReason: "wrong bearer token"},
		{name: "auth before required headers", path: "/in/queue",
			wantStatus: 401, wantCode: "auth_failed", wantReason: "missing bearer token"},
		{name: "missing required header", path: "/in/queue", header: []string{"Authorization", "Bearer tok-7f3a9"},
			wantStatus: 400, wantCode: "missing_header", wantReason: "missing header x-topic"},
		{name: "empty required header", path: "/in/queue", header: []string{"Authorization", "Bearer tok-7f3a9", "X-Topic", ""},
			wantStatus: 400, wantCode: "missing_header", wantReason: "missing header x-topic"},
		{name: "address allowed", path: "/in/lan", remote: "192.0.2.7:5000", wantStatus: 200, wantCode: "accepted"},
		{name: "address refused", path: "/in/lan", remote: "203.0.113.7:5000", header: []string{"X-Forwarded-For", "192.0.2.7"},
			wantStatus: 403, wantCode: "forbidden", wantReason: "client address not allowed"},
		{name: "auth before signature", path: "/in/signed", signed: true,
			wantStatus: 401, wantCode: "auth_failed", wantReason: "missing bearer token"},
		{name: "authenticated, signature missing", path: "/in/signed", header: []string{"Authorization", "Bearer tok-7f3a9"},
			wantStatus: 401, wantCode: "signature_invalid", wantReason: "*"},
		{name: "authenticated and signed", path: "/in/signed", header: []string{"Authorization", "Bearer tok-7f3a9"}, signed: true,
			wantStatus: 200, wantCode: "accepted"},
		{name: "keys unavailable", path: "/in/keys", err: unavailable,
			wantStatus: 503, wantCode: "auth_unavailable", wantHeader: []string{"Retry-After", "30"}, wantReason: unavailable.Reason},
		{name: "plain error", path: "/in/keys", err: errors.New("token abc123 from db"),
			wantStatus: 401, wantCode: "auth_failed", wantReason: "authentication failed"},
		{name: "authenticator passes", path: "/in/keys", wantStatus: 200, wantCode: "accepted"},
		{name: "handshake before auth", method: "GET", path: "/in/x?crc_token=abc", wantStatus: 200},
		{name: "method before auth", method: "GET", path: "/in/queue", wantStatus: 405, wantCode: "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := &fakeStore{}
			h := newAuthHandler(t, st, c.err)
			r := httptest.NewRequest(cmp.Or(c.method, "POST"), c.path, bytes.NewReader(body))
			r.RemoteAddr = cmp.Or(c.remote, "192.0.2.1:1234")
			for i := 0; i+1 < len(c.header); i += 2 {
				r.Header.Set(c.header[i], c.header[i+1])
			}
			if c.signed {
				sign(t, r, body)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.wantStatus {
				t.Fatalf("status %d, want %d; body %s", w.Code, c.wantStatus, w.Body)
			}
			if c.wantCode != "" {
				if got := answerCode(w.Body.Bytes()); got != c.wantCode {
					t.Errorf("code %q, want %q", got, c.wantCode)
				}
			}
			if c.wantHeader != nil {
				if got := w.Header().Get(c.wantHeader[0]); got != c.wantHeader[1] {
					t.Errorf("%s %q, want %q", c.wantHeader[0], got, c.wantHeader[1])
				}
			}
			if c.wantCode == "accepted" && len(st.events) != 1 {
				t.Errorf("stored %d events, want 1", len(st.events))
			}
			if c.wantCode != "accepted" && len(st.events) != 0 {
				t.Errorf("stored %d events, want none", len(st.events))
			}
			checkRejection(t, st, c.wantStatus, c.wantReason)
			if strings.Contains(w.Body.String(), "secret-guess") || strings.Contains(w.Body.String(), "abc123") {
				t.Errorf("answer %s repeats a credential", w.Body)
			}
		})
	}
}

// checkRejection checks the one recorded rejection, if reason is set ("*":
// any reason), and that it never holds a credential.
func checkRejection(t *testing.T, st *fakeStore, status int, reason string) {
	t.Helper()
	if reason == "" {
		if len(st.rejected) != 0 {
			t.Errorf("recorded %+v, want no rejection", st.rejected)
		}
		return
	}
	if len(st.rejected) != 1 {
		t.Fatalf("recorded %d rejections, want 1", len(st.rejected))
	}
	rej := st.rejected[0]
	if rej.Status != status || (reason != "*" && rej.Reason != reason) {
		t.Errorf("recorded %d %q, want %d %q", rej.Status, rej.Reason, status, reason)
	}
	for _, cred := range []string{"tok-7f3a9", "secret-guess", "abc123"} {
		if strings.Contains(rej.Reason, cred) {
			t.Errorf("rejection reason %q holds a credential", rej.Reason)
		}
	}
}
