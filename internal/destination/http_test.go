package destination

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookgate/hookgate/internal/event"
)

// received is what a test sink saw of one request.
type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// sink starts a server that records each request into got and answers
// with answer.
func sink(t *testing.T, answer http.HandlerFunc) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("sink: read body: %v", err)
		}
		got <- received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
		if answer != nil {
			answer(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func testEvent(body []byte, contentType string) *event.Event {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &event.Event{
		ID:         "0196a0b0-0000-7000-8000-000000000001",
		Source:     "github",
		Method:     http.MethodPost,
		Header:     h,
		Body:       body,
		ReceivedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Type:       "push",
	}
}

func testDelivery() event.Delivery {
	return event.Delivery{ID: "0196a0b0-0000-7000-8000-0000000000d1", EventID: "0196a0b0-0000-7000-8000-000000000001", Destination: "app", Attempts: 2}
}

func newHTTP(t *testing.T, cfg HTTPConfig) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg)
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	return h
}

func TestHTTPForwardsBodyAndHeaders(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	binary := make([]byte, 0, 512)
	for i := range 512 {
		binary = append(binary, byte(i))
	}
	h := newHTTP(t, HTTPConfig{
		URL:     srv.URL + "/hooks?x=1",
		Headers: map[string]string{"Authorization": "Bearer t0ken", "X-Team": "core"},
	})
	ev := testEvent(binary, "application/octet-stream")
	res := h.Deliver(t.Context(), ev, testDelivery())
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v, want status 200", res)
	}
	r := <-got
	if !bytes.Equal(r.Body, binary) {
		t.Errorf("body differs: got %d bytes %x, want %d bytes %x", len(r.Body), r.Body, len(binary), binary)
	}
	if r.Method != http.MethodPost || r.Path != "/hooks" {
		t.Errorf("got %s %s, want POST /hooks", r.Method, r.Path)
	}
	want := map[string]string{
		"Content-Type":         "application/octet-stream",
		"Webhook-Id":           ev.ID,
		"Hookgate-Source":      "github",
		"Hookgate-Event-Type":  "push",
		"Hookgate-Delivery-Id": testDelivery().ID,
		"Hookgate-Attempt":     "3",
		"User-Agent":           "hookgate",
		"Authorization":        "Bearer t0ken",
		"X-Team":               "core",
		"Content-Length":       "512",
	}
	for k, v := range want {
		if g := r.Header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
}

func TestHTTPOmitsUnknownTypeAndContentType(t *testing.T) {
	t.Parallel()
	srv, got := sink(t, nil)
	h := newHTTP(t, HTTPConfig{URL: srv.URL, Method: http.MethodPut, Headers: map[string]string{"User-Agent": "mine/1"}})
	ev := testEvent(nil, "")
	ev.Type = ""
	if res := h.Deliver(t.Context(), ev, testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v, want status 200", res)
	}
	r := <-got
	if r.Method != http.MethodPut {
		t.Errorf("method = %s, want PUT", r.Method)
	}
	for _, k := range []string{"Hookgate-Event-Type", "Content-Type"} {
		if v, ok := r.Header[k]; ok {
			t.Errorf("header %s = %q, want none", k, v)
		}
	}
	if g := r.Header.Get("User-Agent"); g != "mine/1" {
		t.Errorf("User-Agent = %q, want the configured %q", g, "mine/1")
	}
	if len(r.Body) != 0 {
		t.Errorf("body = %q, want empty", r.Body)
	}
}

func TestHTTPResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   Result
	}{
		{"ok with body", 200, "thanks", Result{Status: 200, Response: []byte("thanks")}},
		{"accepted empty", 202, "", Result{Status: 202}},
		{"server error", 503, "down", Result{Status: 503, Response: []byte("down")}},
		{"bad request", 400, `{"error":"nope"}`, Result{Status: 400, Response: []byte(`{"error":"nope"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			got := newHTTP(t, HTTPConfig{URL: srv.URL}).Deliver(t.Context(), testEvent([]byte("{}"), "application/json"), testDelivery())
			// The exchange's record is pinned by TestHTTPRecordsExchange.
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Result{}, "Request", "Header")); diff != "" {
				t.Errorf("Deliver (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	t.Cleanup(target.Close)
	srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	res := newHTTP(t, HTTPConfig{URL: srv.URL}).Deliver(t.Context(), testEvent([]byte("{}"), "application/json"), testDelivery())
	if res.Status != http.StatusTemporaryRedirect || res.Err != nil {
		t.Errorf("Deliver = status %d err %v, want 307 and no error", res.Status, res.Err)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}
}

func TestHTTPDoesNotChangeCallersClient(t *testing.T) {
	t.Parallel()
	c := &http.Client{}
	newHTTP(t, HTTPConfig{URL: "http://127.0.0.1:1/", Client: c})
	if c.CheckRedirect != nil {
		t.Error("NewHTTP changed the caller's client")
	}
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	h := newHTTP(t, HTTPConfig{URL: srv.URL, Timeout: 50 * time.Millisecond})
	start := time.Now()
	res := h.Deliver(t.Context(), testEvent([]byte("{}"), "application/json"), testDelivery())
	if !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("Err = %v, want a deadline error", res.Err)
	}
	if res.Status != 0 {
		t.Errorf("Status = %d, want 0", res.Status)
	}
	if res.Err != nil && !strings.HasPrefix(res.Err.Error(), "timeout") {
		t.Errorf("Err = %q, want it to start with %q", res.Err, "timeout")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Deliver took %s, want about 50ms", d)
	}
}

func TestHTTPHonoursCallerDeadline(t *testing.T) {
	t.Parallel()
	srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res := newHTTP(t, HTTPConfig{URL: srv.URL}).Deliver(ctx, testEvent(nil, ""), testDelivery())
	if !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("Err = %v, want a deadline error", res.Err)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res := newHTTP(t, HTTPConfig{URL: "http://" + addr + "/hooks?token=secret", Timeout: 5 * time.Second}).
		Deliver(t.Context(), testEvent([]byte("{}"), "application/json"), testDelivery())
	if res.Err == nil || res.Status != 0 {
		t.Fatalf("Deliver = %+v, want an error and no status", res)
	}
	if msg := res.Err.Error(); strings.Contains(msg, "secret") {
		t.Errorf("Err = %q, want it without the URL's query", msg)
	}
}

func TestHTTPRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"120", 120 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"soon", 0},
		{"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(http.StatusTooManyRequests)
			})
			h := newHTTP(t, HTTPConfig{URL: srv.URL, Now: func() time.Time { return now }})
			res := h.Deliver(t.Context(), testEvent(nil, ""), testDelivery())
			if res.Status != http.StatusTooManyRequests || res.RetryAfter != tt.want {
				t.Errorf("Deliver = status %d RetryAfter %s, want 429 and %s", res.Status, res.RetryAfter, tt.want)
			}
		})
	}
}

func TestHTTPResponseBounded(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 4<<20)
	srv, _ := sink(t, func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	res := newHTTP(t, HTTPConfig{URL: srv.URL, Timeout: 10 * time.Second}).Deliver(t.Context(), testEvent(nil, ""), testDelivery())
	if res.Status != http.StatusOK || len(res.Response) != MaxResponse {
		t.Errorf("Deliver = status %d, %d response bytes; want 200 and %d", res.Status, len(res.Response), MaxResponse)
	}
}

// A modest answer past MaxResponse is drained, so the connection is reused.
func TestHTTPReusesConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("y"), MaxResponse+1000))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	h := newHTTP(t, HTTPConfig{URL: srv.URL})
	for range 3 {
		if res := h.Deliver(t.Context(), testEvent(nil, ""), testDelivery()); res.Status != http.StatusOK {
			t.Fatalf("Deliver = %+v", res)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server saw %d connections, want 1", n)
	}
}

func TestNewHTTPRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  HTTPConfig
		want string
	}{
		{"no url", HTTPConfig{}, "want an absolute http or https URL"},
		{"relative", HTTPConfig{URL: "/hooks"}, "want an absolute"},
		{"ftp", HTTPConfig{URL: "ftp://example.com/"}, "want an absolute"},
		{"bad method", HTTPConfig{URL: "http://a/", Method: "PO ST"}, "method"},
		{"bad header name", HTTPConfig{URL: "http://a/", Headers: map[string]string{"X Bad": "v"}}, "not a valid header name"},
		{"header injection", HTTPConfig{URL: "http://a/", Headers: map[string]string{"X-A": "v\r\nX-B: w"}}, "CR, LF"},
		{"reserved header", HTTPConfig{URL: "http://a/", Headers: map[string]string{"webhook-id": "x"}}, "set by hookgate"},
		{"negative timeout", HTTPConfig{URL: "http://a/", Timeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewHTTP(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewHTTP(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"30", 30 * time.Second, true},
		{" 30 ", 30 * time.Second, true},
		{"99999999999999999999999", 1<<63 - 1, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"30s", 0, false},
		{"Fri, 01 May 2026 12:02:00 GMT", 2 * time.Minute, true},
		{"Friday, 01-May-26 12:00:10 GMT", 10 * time.Second, true},
		{"Fri May  1 12:00:05 2026", 5 * time.Second, true},
		{"Fri, 01 May 2026 11:00:00 GMT", 0, true},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %s, %t; want %s, %t", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "99999999999999999999", "Fri, 01 May 2026 12:02:00 GMT", "-1", " 7 "} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 {
			t.Errorf("ParseRetryAfter(%q) = %s, want no negative wait", s, d)
		}
		if !ok && d != 0 {
			t.Errorf("ParseRetryAfter(%q) = %s, false; want zero when not ok", s, d)
		}
	})
}
