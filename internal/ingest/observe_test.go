package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/auth"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/verify"
)

// recorder is a hand-written Observer.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Request(source string, v Verdict, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, source+":"+v.String())
}

// observed serves orders (hmac, delivery id in x-id), x (handshakes),
// guarded (an Authenticator that fails with authErr) and headers (a
// required header), telling obs and tracing with tr (which may be nil).
func observed(t *testing.T, st Store, obs Observer, tr trace.Tracer, authErr error) http.Handler {
	t.Helper()
	hm, err := verify.New("hmac", verify.Options{Secrets: []string{secret}, HMAC: verify.HMACOptions{Header: "x-hmac", DeliveryIDHeader: "x-id"}})
	if err != nil {
		t.Fatal(err)
	}
	x, err := verify.New("x", verify.Options{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	h := New([]Source{
		{Name: "orders", Provider: hm, MaxBody: 1024, Router: staticRouter{"app"}},
		{Name: "x", Provider: x, MaxBody: 1024},
		{Name: "guarded", Auth: authFunc(func(*http.Request) error { return authErr }), MaxBody: 1024},
		{Name: "headers", RequiredHeaders: []string{"x-topic"}, MaxBody: 1024},
	}, st, Options{Observer: obs, Tracer: tr})
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", h)
	return mux
}

func TestObserverVerdicts(t *testing.T) {
	t.Parallel()
	body := []byte(`{"n":1}`)
	signedReq := func(id string) *http.Request {
		r := httptest.NewRequest("POST", "/in/orders", bytes.NewReader(body))
		r.Header.Set("X-Id", id)
		sign(t, r, body)
		return r
	}
	cases := []struct {
		name    string
		authErr error
		fail    error
		reqs    func() []*http.Request
		want    []string
	}{
		{name: "accepted then duplicate", reqs: func() []*http.Request { return []*http.Request{signedReq("a"), signedReq("a")} },
			want: []string{"orders:accepted", "orders:duplicate"}},
		{name: "unknown source", reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("POST", "/in/nope", nil)} },
			want: []string{":not_found"}},
		{name: "too large", reqs: func() []*http.Request {
			return []*http.Request{httptest.NewRequest("POST", "/in/orders", bytes.NewReader(make([]byte, 2048)))}
		}, want: []string{"orders:too_large"}},
		{name: "method", reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("PUT", "/in/orders", nil)} },
			want: []string{"orders:method_not_allowed"}},
		{name: "bad signature", reqs: func() []*http.Request {
			return []*http.Request{httptest.NewRequest("POST", "/in/orders", bytes.NewReader(body))}
		}, want: []string{"orders:rejected"}},
		{name: "challenge", reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("GET", "/in/x?crc_token=abc", nil)} },
			want: []string{"x:challenge"}},
		{name: "store down", fail: fmt.Errorf("disk full: %w", store.ErrUnavailable),
			reqs: func() []*http.Request { return []*http.Request{signedReq("b")} }, want: []string{"orders:unavailable"}},
		{name: "missing header", reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("POST", "/in/headers", nil)} },
			want: []string{"headers:missing_header"}},
		{name: "unauthorized", authErr: errors.New("no token"),
			reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("POST", "/in/guarded", nil)} },
			want: []string{"guarded:unauthorized"}},
		{name: "forbidden", authErr: &auth.Failure{Status: http.StatusForbidden, Reason: "address not allowed"},
			reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("POST", "/in/guarded", nil)} },
			want: []string{"guarded:forbidden"}},
		{name: "auth unavailable", authErr: &auth.Failure{Status: http.StatusServiceUnavailable, Reason: "keys unavailable"},
			reqs: func() []*http.Request { return []*http.Request{httptest.NewRequest("POST", "/in/guarded", nil)} },
			want: []string{"guarded:auth_unavailable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			obs := &recorder{}
			h := observed(t, &fakeStore{fail: c.fail}, obs, nil, c.authErr)
			for _, r := range c.reqs() {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			if got := strings.Join(obs.got, " "); got != strings.Join(c.want, " ") {
				t.Errorf("observed %q, want %q", got, strings.Join(c.want, " "))
			}
		})
	}
}

func TestVerdictNames(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, v := range Verdicts() {
		s := v.String()
		if s == "" || strings.HasPrefix(s, "verdict(") || seen[s] {
			t.Errorf("verdict %d: name %q empty, unnamed or repeated", v, s)
		}
		seen[s] = true
	}
	if got := Verdict(200).String(); got != "verdict(200)" {
		t.Errorf("unknown verdict named %q", got)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	h := observed(t, &fakeStore{}, nil, nil, nil)
	id := func(sent string) string {
		r := httptest.NewRequest("POST", "/in/nope", nil)
		if sent != "" {
			r.Header.Set(HeaderRequestID, sent)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Header().Get(HeaderRequestID)
	}
	for _, sent := range []string{"abc-123", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", strings.Repeat("a", 128)} {
		if got := id(sent); got != sent {
			t.Errorf("sent %q, answered %q", sent, got)
		}
	}
	made := map[string]bool{}
	for _, sent := range []string{"", "has space", "tab\tin", strings.Repeat("a", 129), "é"} {
		got := id(sent)
		if got == sent || got == "" || made[got] {
			t.Errorf("sent %q: answered %q, want a new, unique id", sent, got)
		}
		made[got] = true
	}
}

func TestTracing(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	st := &fakeStore{}
	h := observed(t, st, nil, tp.Tracer("test"), nil)
	body := []byte(`{"n":1}`)
	r := httptest.NewRequest("POST", "/in/orders", bytes.NewReader(body))
	r.Header.Set("X-Id", "t1")
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	sign(t, r, body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans ended, want 2 (ingest, store)", len(spans))
	}
	storeSpan, ingestSpan := spans[0], spans[1]
	if ingestSpan.SpanKind() != trace.SpanKindServer || ingestSpan.Name() != "POST /in/{source}" {
		t.Errorf("ingest span: %s %v", ingestSpan.Name(), ingestSpan.SpanKind())
	}
	if got := ingestSpan.Parent().SpanID().String(); got != "00f067aa0ba902b7" || !ingestSpan.Parent().IsRemote() {
		t.Errorf("ingest span's parent %s (remote %v), want the sender's", got, ingestSpan.Parent().IsRemote())
	}
	if got := ingestSpan.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %s, want the sender's", got)
	}
	if storeSpan.Name() != "store ingest" || storeSpan.Parent().SpanID() != ingestSpan.SpanContext().SpanID() {
		t.Errorf("store span %q: parent %s, want the ingest span %s", storeSpan.Name(), storeSpan.Parent().SpanID(), ingestSpan.SpanContext().SpanID())
	}
	want := fmt.Sprintf("00-%s-%s-01", ingestSpan.SpanContext().TraceID(), ingestSpan.SpanContext().SpanID())
	if got := st.events[0].TraceParent; got != want {
		t.Errorf("stored traceparent %q, want the ingest span's %q", got, want)
	}
}

func TestNoTracingStoresNoTraceParent(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	h := observed(t, st, nil, nil, nil)
	body := []byte(`{"n":1}`)
	r := httptest.NewRequest("POST", "/in/orders", bytes.NewReader(body))
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	sign(t, r, body)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if len(st.events) != 1 || st.events[0].TraceParent != "" {
		t.Errorf("stored %d events, traceparent %q; want 1 without", len(st.events), st.events[0].TraceParent)
	}
}
