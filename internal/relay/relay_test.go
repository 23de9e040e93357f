package relay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/listen"
)

const token = "0123456789abcdef-token"

// localApp is the app on localhost: it records requests and answers 201,
// or blocks while gate is set.
type localApp struct {
	mu   sync.Mutex
	got  []*http.Request
	body []string
	gate chan struct{}
	srv  *httptest.Server
}

func newLocalApp(t *testing.T) *localApp {
	a := &localApp{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got = append(a.got, r)
		a.body = append(a.body, string(b))
		gate := a.gate
		a.mu.Unlock()
		if gate != nil {
			<-gate
		}
		w.Header().Set("X-App", "yes")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "created")
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *localApp) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.got)
}

// gateway serves one listen destination on a real HTTP server.
func gateway(t *testing.T) (*listen.Destination, string) {
	d := listen.New("dev", token)
	h := listen.NewHub(slog.New(slog.DiscardHandler), nil)
	h.Set(d)
	mux := http.NewServeMux()
	mux.Handle("GET /listen/{destination}", h)
	mux.Handle("GET /listen", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { d.Close(); srv.Close() })
	return d, srv.URL
}

// recorder is an Observer keeping what it is told.
type recorder struct {
	mu      sync.Mutex
	notices []Notice
	recs    []Record
}

func (r *recorder) Notice(n Notice)  { r.mu.Lock(); r.notices = append(r.notices, n); r.mu.Unlock() }
func (r *recorder) Handled(x Record) { r.mu.Lock(); r.recs = append(r.recs, x); r.mu.Unlock() }

// run starts a relay to gw and waits until d sees it online.
func run(t *testing.T, d *listen.Destination, cfg Config) (*recorder, context.CancelFunc, chan error) {
	t.Helper()
	obs := &recorder{}
	cfg.Observer = obs
	if cfg.Token == "" {
		cfg.Token = token
	}
	if cfg.State == nil {
		st, err := OpenState(t.TempDir()+"/state.jsonl", 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		cfg.State = st
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	online := make(chan struct{}, 1)
	d.Watch(func(on bool) {
		if on {
			select {
			case online <- struct{}{}:
			default:
			}
		}
	})
	select {
	case <-online:
	case err := <-done:
		t.Fatalf("relay ended before connecting: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not connect within 10s")
	}
	return obs, cancel, done
}

func testEvent(typ string) (*event.Event, event.Delivery) {
	ev := &event.Event{
		ID: event.NewID(), Source: "github", Type: typ, Method: http.MethodPut, Query: "a=1",
		Header: http.Header{"Content-Type": {"application/json"}, "X-Github-Event": {typ}, "Webhook-Id": {"provider-id"}},
		Body:   []byte(`{"n":1}`), ReceivedAt: time.Now(),
	}
	return ev, event.Delivery{ID: event.NewID(), EventID: ev.ID, Destination: "dev", Attempts: 0}
}

func deliver(t *testing.T, d *listen.Destination, ev *event.Event, del event.Delivery) destination.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Deliver(ctx, ev, del)
}

// An event goes through the stream to the local app with its method,
// query, headers and body; the answer comes back as the result; the same
// attempt sent again is answered from the state, not forwarded twice.
func TestForwardAndRepeat(t *testing.T) {
	t.Parallel()
	app := newLocalApp(t)
	d, gw := gateway(t)
	obs, _, _ := run(t, d, Config{Gateway: gw, Destination: "dev", To: app.srv.URL + "/hooks?x=y"})

	ev, del := testEvent("push")
	res := deliver(t, d, ev, del)
	if res.Err != nil || res.Status != http.StatusCreated || string(res.Response) != "created" || res.Header.Get("X-App") != "yes" {
		t.Fatalf("result = %+v, want 201 created with X-App", res)
	}
	if want := app.srv.URL + "/hooks?x=y&a=1"; res.Request.URL != want {
		t.Errorf("request URL = %q, want %q", res.Request.URL, want)
	}
	if app.count() != 1 {
		t.Fatalf("app got %d requests, want 1", app.count())
	}
	r := app.got[0]
	checks := []struct{ name, got, want string }{
		{"method", r.Method, http.MethodPut},
		{"query", r.URL.RawQuery, "x=y&a=1"},
		{"body", app.body[0], `{"n":1}`},
		{"X-Github-Event", r.Header.Get("X-Github-Event"), "push"},
		{"Webhook-Id (the provider's, untouched)", r.Header.Get("Webhook-Id"), "provider-id"},
		{HeaderEventID, r.Header.Get(HeaderEventID), ev.ID},
		{destination.HeaderDeliveryID, r.Header.Get(destination.HeaderDeliveryID), del.ID},
		{destination.HeaderAttempt, r.Header.Get(destination.HeaderAttempt), "1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}

	again := deliver(t, d, ev, del) // its report was lost, say
	if again.Status != http.StatusCreated || app.count() != 1 {
		t.Errorf("same attempt again: status %d, app got %d requests; want 201 from the state, still 1", again.Status, app.count())
	}
	del.Attempts = 1 // a retry is a new attempt: forwarded
	if res := deliver(t, d, ev, del); res.Status != http.StatusCreated || app.count() != 2 {
		t.Errorf("next attempt: status %d, app got %d requests; want 201, 2", res.Status, app.count())
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.recs) != 3 || !obs.recs[1].Repeat || obs.recs[0].Repeat || obs.recs[2].Repeat {
		t.Errorf("records = %+v, want 3 with the second a repeat", obs.recs)
	}
}

// Filtered-out events are acknowledged as skipped; a local app that is not
// running is a failed attempt that says so.
func TestSkipAndRefused(t *testing.T) {
	t.Parallel()
	app := newLocalApp(t)
	d, gw := gateway(t)
	f, err := NewFilter("", "push", `body.n == 1`)
	if err != nil {
		t.Fatal(err)
	}
	run(t, d, Config{Gateway: gw, To: app.srv.URL, Filter: f}) // no --destination: the token picks it

	ev, del := testEvent("issues")
	res := deliver(t, d, ev, del)
	if res.Status != http.StatusNoContent || !strings.Contains(string(res.Response), `type "issues" is not --type "push"`) {
		t.Errorf("skipped: %d %q, want 204 with the reason", res.Status, res.Response)
	}
	ev, del = testEvent("push")
	ev.Body = []byte(`{"n":2}`)
	if res := deliver(t, d, ev, del); res.Status != http.StatusNoContent || !strings.Contains(string(res.Response), "--filter body.n == 1 is false") {
		t.Errorf("filtered: %d %q, want 204 with the reason", res.Status, res.Response)
	}
	if app.count() != 0 {
		t.Errorf("app got %d requests, want none", app.count())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	d2, gw2 := gateway(t)
	run(t, d2, Config{Gateway: gw2, To: closed})
	ev, del = testEvent("push")
	res = deliver(t, d2, ev, del)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "connection refused: nothing listens on "+ln.Addr().String()) {
		t.Errorf("refused: err %v, want connection refused naming the address", res.Err)
	}
	if errors.Is(res.Err, destination.ErrUnavailable) {
		t.Errorf("refused: err %v wraps ErrUnavailable; it is a failed attempt", res.Err)
	}
}

// Without a listener, or when it drops before reporting, the destination is
// unavailable (no attempt); a wrong token ends the relay.
func TestUnavailableAndRefusedToken(t *testing.T) {
	t.Parallel()
	d, gw := gateway(t)
	ev, del := testEvent("push")
	if res := deliver(t, d, ev, del); !errors.Is(res.Err, destination.ErrUnavailable) {
		t.Errorf("no listener: err %v, want ErrUnavailable", res.Err)
	}

	r, err := New(Config{Gateway: gw, Token: "wrong-token-0123456789", To: "http://127.0.0.1:1", State: &State{}, Observer: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Run(ctx); !errors.Is(err, ErrRefused) {
		t.Errorf("wrong token: Run = %v, want ErrRefused", err)
	}

	app := newLocalApp(t)
	app.gate = make(chan struct{})
	defer close(app.gate)
	run(t, d, Config{Gateway: gw, To: app.srv.URL})
	got := make(chan destination.Result, 1)
	go func() { got <- deliver(t, d, ev, del) }()
	for app.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	d.Close() // the stream breaks while the app works on the event
	select {
	case res := <-got:
		if !errors.Is(res.Err, destination.ErrUnavailable) {
			t.Errorf("dropped before reporting: err %v, want ErrUnavailable", res.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Deliver did not return after the stream broke")
	}
}
