package ingest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/verify"
)

// optional is a hand-written provider with the optional interfaces: it
// accepts GET events, answers stored events itself, and has a handshake
// whose answer carries a header.
type optional struct{}

var (
	_ verify.MethodAllower = optional{}
	_ verify.Acker         = optional{}
)

func (optional) Challenge(r *verify.Request) (*verify.Response, bool) {
	if v := r.Header.Get("X-Hook-Secret"); v != "" {
		return &verify.Response{Status: http.StatusOK, Header: http.Header{"X-Hook-Secret": {v}}}, true
	}
	return nil, false
}
func (optional) Verify(*verify.Request) error { return nil }
func (optional) Identify(r *verify.Request) verify.Identity {
	return verify.Identity{DeliveryID: r.URL.Query().Get("id")}
}
func (optional) Allows(m string) bool { return m == http.MethodGet || m == http.MethodPost }
func (optional) Ack(r *verify.Request) *verify.Response {
	if r.Method == http.MethodGet {
		return &verify.Response{Status: http.StatusNoContent}
	}
	return nil
}

func TestOptionalInterfaces(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	h := New([]Source{{Name: "opt", Provider: optional{}, MaxBody: 1024}}, st, Options{})
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", h)
	cases := []struct {
		name, method, target string
		header               map[string]string
		wantStatus           int
		wantHeader           map[string]string
		wantBody             string
	}{
		{"GET event, provider's ack", "GET", "/in/opt?id=1", nil, 204, nil, ""},
		{"GET duplicate, provider's ack", "GET", "/in/opt?id=1", nil, 204, nil, ""},
		{"POST event, usual ack", "POST", "/in/opt?id=2", nil, 200, nil, `"status":"accepted"`},
		{"PUT refused", "PUT", "/in/opt", nil, 405, map[string]string{"Allow": "GET, POST"}, "accepts GET or POST, not PUT"},
		{"handshake header", "POST", "/in/opt", map[string]string{"X-Hook-Secret": "s3"}, 200, map[string]string{"X-Hook-Secret": "s3"}, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader("{}"))
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != c.wantStatus {
			t.Errorf("%s: status: got %d, want %d (%s)", c.name, w.Code, c.wantStatus, w.Body)
		}
		for k, v := range c.wantHeader {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: header %s: got %q, want %q", c.name, k, got, v)
			}
		}
		if !strings.Contains(w.Body.String(), c.wantBody) {
			t.Errorf("%s: body %q lacks %q", c.name, w.Body, c.wantBody)
		}
	}
	if len(st.events) != 2 {
		t.Errorf("stored %d events, want 2 (the handshake and the duplicate are not stored)", len(st.events))
	}
}
