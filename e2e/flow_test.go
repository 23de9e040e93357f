package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// timed is a sink that answers with a status the test sets and records
// when each request came.
type timed struct {
	mu     sync.Mutex
	status int
	times  []time.Time
}

func (s *timed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	status := s.status
	s.mu.Unlock()
	w.WriteHeader(status)
}

func (s *timed) set(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *timed) hits() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times...)
}

// flowGateway starts a gateway with one hmac source "orders" routed to one
// destination "app", configured by dest (the YAML mapping's fields after
// the name), and sends n events. It returns the gateway, the database path
// and the event ids.
func flowGateway(t *testing.T, dest string, n int) (*gateway, string, []string) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookgate.db")
	g := start(t, writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: app, %s }
routes:
  - { from: [orders], to: [app] }
`, db, dest)))
	var ids []string
	for i := range n {
		id, _ := accepted(t, signed(t, "hmac", "s3cret", g.url("/in/orders"), fmt.Appendf(nil, `{"n":%d}`, i), nil))
		ids = append(ids, id)
	}
	return g, db, ids
}

// While the circuit is open the destination gets nothing; a probe goes
// when it half-opens; once a probe succeeds, everything is delivered.
func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	app := &timed{status: http.StatusServiceUnavailable}
	g, db, ids := flowGateway(t, fmt.Sprintf(`url: %q, timeout: 2s, concurrency: 1,
    retry: { max_attempts: 100, initial: 10ms, max: 20ms },
    circuit: { failures: 3, open_for: 1500ms }`, serveLocal(t, app)), 10)
	waitFor(t, 10*time.Second, "three failed attempts", func() bool { return len(app.hits()) >= 3 })
	opened := app.hits()[2]
	time.Sleep(time.Second)
	if n := len(app.hits()); n != 3 {
		t.Fatalf("%d requests with the circuit open, want still 3", n)
	}
	waitFor(t, 10*time.Second, "the probe", func() bool { return len(app.hits()) >= 4 })
	if probe := app.hits()[3]; probe.Sub(opened) < 1400*time.Millisecond {
		t.Errorf("probe %s after the circuit opened, want about 1.5s", probe.Sub(opened))
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(app.hits()); n != 4 {
		t.Fatalf("%d requests after a failed probe, want 4: the circuit opens again", n)
	}
	app.set(http.StatusOK)
	s := openStore(t, db)
	waitFor(t, 15*time.Second, "every delivery to succeed", func() bool {
		for _, id := range ids {
			ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
			if err != nil || len(ds) != 1 || ds[0].State != event.Succeeded {
				return false
			}
		}
		return true
	})
	g.stop()
	if n := len(app.hits()); n != 4+1+9 {
		t.Errorf("%d requests in all, want 14: 3 failures, a failed probe, a good probe, 9 more", n)
	}
	if !strings.Contains(g.stderr.String(), "circuit opened") || !strings.Contains(g.stderr.String(), "circuit closed") {
		t.Errorf("the log does not tell the circuit opened and closed:\n%s", g.stderr.String())
	}
}

// 410 Gone with disable_on_410 kills the delivery and pauses the
// destination: nothing more is sent, and the log says so as an error.
func TestGonePauses(t *testing.T) {
	t.Parallel()
	app := &timed{status: http.StatusGone}
	g, db, ids := flowGateway(t, fmt.Sprintf(`url: %q, timeout: 2s, concurrency: 1, retry: { disable_on_410: true }`, serveLocal(t, app)), 3)
	waitFor(t, 10*time.Second, "the first request", func() bool { return len(app.hits()) >= 1 })
	time.Sleep(time.Second)
	g.stop()
	if n := len(app.hits()); n != 1 {
		t.Errorf("%d requests, want 1: the destination is paused after 410", n)
	}
	if !strings.Contains(g.stderr.String(), `"level":"ERROR","msg":"deliver: destination answered 410 Gone; pausing it`) {
		t.Errorf("no error logged for the 410:\n%s", g.stderr.String())
	}
	s := openStore(t, db)
	dead := 0
	for _, id := range ids {
		ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries of %s: %v, %v", id, ds, err)
		}
		switch d := ds[0]; {
		case d.State == event.Dead && d.Attempts == 1:
			dead++
		case d.State != event.Pending || d.Attempts != 0:
			t.Errorf("delivery %+v, want pending and never attempted", d)
		}
	}
	if dead != 1 {
		t.Errorf("%d dead deliveries, want 1", dead)
	}
}

// Attempts start at the configured rate, however many are due.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	app := &timed{status: http.StatusOK}
	g, _, _ := flowGateway(t, fmt.Sprintf(`url: %q, timeout: 2s, rate_limit: { per_second: 20 }`, serveLocal(t, app)), 41)
	waitFor(t, 20*time.Second, "41 requests", func() bool { return len(app.hits()) >= 41 })
	g.stop()
	hits := app.hits()
	span := hits[len(hits)-1].Sub(hits[0])
	// 40 gaps of 50ms: 2s. Real timers only make it later.
	if span < 1800*time.Millisecond || span > 2600*time.Millisecond {
		t.Errorf("41 requests at 20/s took %s, want about 2s", span)
	}
	for i := range hits {
		n := 0
		for _, h := range hits[i:] {
			if h.Sub(hits[i]) < time.Second {
				n++
			}
		}
		if n > 22 {
			t.Fatalf("%d requests within a second of request %d, want at most 21 (+1 for timer jitter)", n, i)
		}
	}
}

// max_age: a destination that never answers stops being tried once the
// event is older than max_age, however many attempts are left.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	g, db, ids := flowGateway(t, fmt.Sprintf(`url: %q, timeout: 2s, retry: { max_attempts: 1000, initial: 100ms, max: 100ms, max_age: 700ms }`, downURL(t)), 1)
	s := openStore(t, db)
	var d event.Delivery
	waitFor(t, 10*time.Second, "the delivery to die", func() bool {
		ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{EventID: ids[0]})
		if err != nil || len(ds) != 1 {
			return false
		}
		d = ds[0]
		return d.State == event.Dead
	})
	g.stop()
	ev, err := s.Event(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	as, err := s.Attempts(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) < 3 || len(as) > 40 {
		t.Errorf("%d attempts, want a few (about 14: full jitter waits 50ms on average)", len(as))
	}
	for _, a := range as {
		if strings.HasPrefix(a.Error, "not attempted") {
			continue // the record of the decision: past max_age, not sent
		}
		// The gate checks the age just before the attempt starts; the
		// attempt's own clock reading can come a few milliseconds later on
		// a loaded machine, so allow that much and no more.
		if age := a.StartedAt.Sub(ev.ReceivedAt); age > 700*time.Millisecond+50*time.Millisecond {
			t.Errorf("attempt %d started %s after the event was received, past max_age", a.N, age)
		}
	}
}
