package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/verify"
)

// fakeStore is a hand-written in-memory Store.
type fakeStore struct {
	mu       sync.Mutex
	events   []*event.Event
	dests    [][]string
	rejected []event.Rejection
	byKey    map[string]string
	fail     error
}

func (f *fakeStore) Ingest(ctx context.Context, ev *event.Event, routes []store.Route) (store.IngestResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return store.IngestResult{}, f.fail
	}
	if f.byKey == nil {
		f.byKey = map[string]string{}
	}
	if ev.DeliveryID != "" {
		if id, ok := f.byKey[ev.Source+"\x00"+ev.DeliveryID]; ok {
			return store.IngestResult{EventID: id, Duplicate: true}, nil
		}
		f.byKey[ev.Source+"\x00"+ev.DeliveryID] = ev.ID
	}
	f.events = append(f.events, ev)
	var dests []string
	for _, rt := range routes {
		dests = append(dests, rt.Destination)
	}
	f.dests = append(f.dests, dests)
	return store.IngestResult{EventID: ev.ID}, nil
}

func (f *fakeStore) Reject(ctx context.Context, r event.Rejection) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected = append(f.rejected, r)
	return nil
}

// staticRouter routes every event to its destinations.
type staticRouter []string

func (r staticRouter) Routes(*event.Event) []store.Route {
	rs := make([]store.Route, len(r))
	for i, d := range r {
		rs[i] = store.Route{Destination: d}
	}
	return rs
}

const secret = "s3cret"

func newHandler(t *testing.T, st Store, notified *int) http.Handler {
	t.Helper()
	opts := verify.Options{Secrets: []string{secret}, HMAC: verify.HMACOptions{Header: "x-hmac", DeliveryIDHeader: "x-id", EventTypeHeader: "x-topic"}}
	p, err := verify.New("hmac", opts)
	if err != nil {
		t.Fatal(err)
	}
	x, err := verify.New("x", verify.Options{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	h := New([]Source{
		{Name: "orders", Provider: p, MaxBody: 1024, Router: staticRouter{"app", "log"}},
		{Name: "x", Provider: x, MaxBody: 1024},
	}, st, Options{
		Notify: func() { *notified++ },
		Now:    func() time.Time { return time.Unix(1700000000, 0) },
	})
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", h)
	return mux
}

func sign(t *testing.T, r *http.Request, body []byte) {
	t.Helper()
	s, err := verify.NewSigner("hmac", verify.Options{Secrets: []string{secret}, HMAC: verify.HMACOptions{Header: "x-hmac"}})
	if err != nil {
		t.Fatal(err)
	}
	vr := &verify.Request{Method: r.Method, URL: r.URL, Header: r.Header, Body: body, Now: time.Now()}
	if err := s.Sign(vr); err != nil {
		t.Fatal(err)
	}
}

func TestServeHTTP(t *testing.T) {
	t.Parallel()
	body := []byte(`{"order":1}`)
	cases := []struct {
		name       string
		method     string
		path       string
		body       io.Reader
		length     int64 // -1: chunked
		signed     bool
		header     map[string]string
		wantStatus int
		wantCode   string // error code, or the acceptance status
		wantStored int
		wantReject int
	}{
		{name: "accepted", method: "POST", path: "/in/orders", body: bytes.NewReader(body), signed: true, wantStatus: 200, wantCode: "accepted", wantStored: 1},
		{name: "unknown source", method: "POST", path: "/in/nope", body: bytes.NewReader(body), signed: true, wantStatus: 404, wantCode: "unknown_source"},
		{name: "wrong method", method: "PUT", path: "/in/orders", body: bytes.NewReader(body), signed: true, wantStatus: 405, wantCode: "method_not_allowed"},
		{name: "missing signature", method: "POST", path: "/in/orders", body: bytes.NewReader(body), wantStatus: 401, wantCode: "signature_invalid", wantReject: 1},
		{name: "bad signature", method: "POST", path: "/in/orders", body: bytes.NewReader(body), header: map[string]string{"X-Hmac": strings.Repeat("ab", 32)}, wantStatus: 401, wantCode: "signature_invalid", wantReject: 1},
		{name: "oversize", method: "POST", path: "/in/orders", body: bytes.NewReader(make([]byte, 2048)), signed: true, wantStatus: 413, wantCode: "body_too_large", wantReject: 1},
		{name: "oversize chunked", method: "POST", path: "/in/orders", body: bytes.NewReader(make([]byte, 2048)), length: -1, signed: true, wantStatus: 413, wantCode: "body_too_large", wantReject: 1},
		{name: "x crc", method: "GET", path: "/in/x?crc_token=abc", wantStatus: 200},
		{name: "x get without crc", method: "GET", path: "/in/x", wantStatus: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := &fakeStore{}
			notified := 0
			h := newHandler(t, st, &notified)
			var raw []byte
			if c.body != nil {
				raw, _ = io.ReadAll(c.body)
			}
			r := httptest.NewRequest(c.method, c.path, bytes.NewReader(raw))
			if c.length == -1 {
				r.ContentLength = -1
			}
			if c.signed {
				sign(t, r, raw)
			}
			for k, v := range c.header {
				r.Header.Set(k, v)
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
			if len(st.events) != c.wantStored {
				t.Errorf("stored %d events, want %d", len(st.events), c.wantStored)
			}
			if notified != c.wantStored {
				t.Errorf("notified %d times, want %d", notified, c.wantStored)
			}
			if len(st.rejected) != c.wantReject {
				t.Errorf("recorded %d rejections, want %d", len(st.rejected), c.wantReject)
			}
			for _, rej := range st.rejected {
				if strings.Contains(rej.Reason, secret) || rej.Reason == "" {
					t.Errorf("rejection reason %q: empty or holds the secret", rej.Reason)
				}
			}
		})
	}
}

func answerCode(b []byte) string {
	var a struct {
		Status string
		Error  struct{ Code string }
	}
	_ = json.Unmarshal(b, &a)
	if a.Error.Code != "" {
		return a.Error.Code
	}
	return a.Status
}

// What is stored is the request exactly as received, with the provider's
// identity, routed to the source's destinations.
func TestStoresRequestAsReceived(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	n := 0
	h := newHandler(t, st, &n)
	body := []byte("{\"a\":\"\\/\u00e9\"}\r\n\xff")
	r := httptest.NewRequest("POST", "/in/orders?x=1&y=2", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Id", "d-1")
	r.Header.Set("X-Topic", "order.created")
	sign(t, r, body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if len(st.events) != 1 {
		t.Fatalf("stored %d events", len(st.events))
	}
	ev := st.events[0]
	if !bytes.Equal(ev.Body, body) {
		t.Errorf("body %q, want %q", ev.Body, body)
	}
	if ev.Query != "x=1&y=2" || ev.Source != "orders" || ev.Type != "order.created" || ev.DeliveryID != "d-1" || ev.Method != "POST" {
		t.Errorf("stored %+v", ev)
	}
	if !ev.ReceivedAt.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("received at %v", ev.ReceivedAt)
	}
	if got := fmt.Sprint(st.dests[0]); got != "[app log]" {
		t.Errorf("destinations %s, want [app log]", got)
	}

	// The same delivery id again: 200, duplicate, same id, nothing stored.
	r2 := httptest.NewRequest("POST", "/in/orders", bytes.NewReader(body))
	r2.Header.Set("X-Id", "d-1")
	sign(t, r2, body)
	w2 := httptest.NewRecorder()
	h.ServeHTTP(w2, r2)
	var a Accepted
	_ = json.Unmarshal(w2.Body.Bytes(), &a)
	if w2.Code != 200 || a.Status != "duplicate" || a.ID != ev.ID {
		t.Errorf("duplicate: %d %s, want 200 duplicate %s", w2.Code, w2.Body, ev.ID)
	}
	if len(st.events) != 1 || n != 1 {
		t.Errorf("duplicate stored or notified: %d events, %d notifications", len(st.events), n)
	}
}

// A store that cannot write gets 503 with Retry-After, never a 2xx.
func TestStoreDownIs503(t *testing.T) {
	t.Parallel()
	st := &fakeStore{fail: fmt.Errorf("commit: %w", errors.Join(store.ErrUnavailable, errors.New("disk full")))}
	n := 0
	h := newHandler(t, st, &n)
	body := []byte(`{}`)
	r := httptest.NewRequest("POST", "/in/orders", bytes.NewReader(body))
	sign(t, r, body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || answerCode(w.Body.Bytes()) != "store_unavailable" {
		t.Errorf("got %d %q %s, want 503 with Retry-After and store_unavailable", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if n != 0 {
		t.Errorf("notified %d times for an unstored event", n)
	}
}

// readBody reads the whole body whatever Content-Length says, and refuses
// more than the limit.
func TestReadBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		body    string
		length  int64 // what the request claims
		limit   int64
		want    string
		wantErr string // substring; "" means no error
	}{
		{name: "length given", body: "hello", length: 5, limit: 10, want: "hello"},
		{name: "length unknown", body: "hello", length: -1, limit: 10, want: "hello"},
		{name: "empty", body: "", length: 0, limit: 10, want: ""},
		{name: "at the limit", body: "0123456789", length: 10, limit: 10, want: "0123456789"},
		{name: "over the limit, length given", body: "0123456789x", length: 11, limit: 10, wantErr: "too large"},
		{name: "over the limit, length unknown", body: "0123456789x", length: -1, limit: 10, wantErr: "too large"},
		{name: "longer than its length", body: "hello world", length: 5, limit: 20, want: "hello world"},
		{name: "longer than its length and the limit", body: "hello world", length: 5, limit: 8, wantErr: "too large"},
		{name: "shorter than its length", body: "hel", length: 5, limit: 10, wantErr: "unexpected EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/in/x", strings.NewReader(c.body))
			r.ContentLength = c.length
			got, err := readBody(httptest.NewRecorder(), r, c.limit)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("readBody = %q, %v; want an error with %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("readBody = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
