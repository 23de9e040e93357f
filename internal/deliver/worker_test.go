package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock; time only moves when a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

func testEvent(id string, at time.Time) *event.Event {
	return &event.Event{
		ID:         id,
		Source:     "github",
		Method:     http.MethodPost,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       []byte(`{"id":"` + id + `"}`),
		ReceivedAt: at,
		Type:       "push",
	}
}

// newWorker builds a worker over st with test defaults and starts its pools
// and collector, but not its lease loop: tests call round.
func newWorker(t *testing.T, st *fakeStore, clk *clock, targets map[string]Target, mods ...func(*Config)) *Worker {
	t.Helper()
	var ids atomic.Int64
	cfg := Config{
		Store:    st,
		Targets:  targets,
		Batch:    16,
		LeaseFor: time.Minute,
		Poll:     time.Hour,
		Now:      clk.Now,
		Rand:     fixed(1),
		NewID:    func() string { return fmt.Sprintf("attempt-%d", ids.Add(1)) },
		Logger:   slog.New(slog.DiscardHandler),
	}
	for _, m := range mods {
		m(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := w.start(t.Context(), false); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return w
}

// round runs one lease round and waits until every delivery it handed out
// has been attempted and written back (or parked).
func round(t *testing.T, w *Worker) int {
	t.Helper()
	n, err := w.runOnce(t.Context())
	if err != nil {
		t.Fatalf("runOnce: %v", err)
	}
	w.busy.Wait()
	return n
}

// waitFor polls cond until it holds; for states reached by goroutines the
// test cannot join (a sink's handler blocking on purpose).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// sink is an HTTP destination server answering with statuses in turn (the
// last one repeats) and recording the attempt headers it saw.
type sink struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	header   http.Header // added to every answer
	seen     []http.Header
}

func newSink(t *testing.T, statuses ...int) *sink {
	s := &sink{statuses: statuses, header: http.Header{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status := s.statuses[min(len(s.seen), len(s.statuses)-1)]
		s.seen = append(s.seen, r.Header.Clone())
		for k, v := range s.header {
			w.Header()[k] = v
		}
		s.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "status %d", status)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) requests() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

func (s *sink) target(t *testing.T, p Policy) Target {
	t.Helper()
	h, err := destination.NewHTTP(destination.HTTPConfig{URL: s.srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return Target{Destination: h, Policy: p, Timeout: 5 * time.Second}
}

// summary is an attempt's fields that tests compare.
type summary struct {
	N       int
	Status  int
	Error   string
	Outcome event.State
}

func summarise(as []event.Attempt) []summary {
	var out []summary
	for _, a := range as {
		out = append(out, summary{a.N, a.Status, a.Error, a.Outcome})
	}
	return out
}

func TestRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	s := newSink(t, 503, 500, 503, 200)
	w := newWorker(t, st, clk, map[string]Target{"app": s.target(t, Policy{MaxAttempts: 5, Initial: time.Second, Max: time.Minute})})
	id := st.add(testEvent("ev1", t0), "app")[0]

	var gaps []time.Duration
	for i := 0; i < 10 && st.delivery(id).State == event.Pending; i++ {
		if n := round(t, w); n != 1 {
			t.Fatalf("round %d leased %d deliveries, want 1", i, n)
		}
		if d := st.delivery(id); d.State == event.Pending {
			gaps = append(gaps, d.NextAt.Sub(clk.Now()))
			clk.Set(d.NextAt)
		}
	}

	want := []summary{
		{1, 503, "", event.Pending},
		{2, 500, "", event.Pending},
		{3, 503, "", event.Pending},
		{4, 200, "", event.Succeeded},
	}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, gaps); diff != "" {
		t.Errorf("backoff gaps (-want +got):\n%s", diff)
	}
	if d := st.delivery(id); d.State != event.Succeeded || d.Attempts != 4 || d.Lease != "" {
		t.Errorf("delivery = %+v, want succeeded after 4 attempts, no lease", d)
	}
	reqs := s.requests()
	if len(reqs) != 4 {
		t.Fatalf("sink got %d requests, want 4", len(reqs))
	}
	for i, h := range reqs {
		if got, want := h.Get("Hookgate-Attempt"), strconv.Itoa(i+1); got != want {
			t.Errorf("request %d: Hookgate-Attempt = %q, want %q", i, got, want)
		}
		if got := h.Get("Webhook-Id"); got != "ev1" {
			t.Errorf("request %d: Webhook-Id = %q, want the event id on every attempt", i, got)
		}
	}
	if len(st.problems) > 0 {
		t.Errorf("store contract violations: %v", st.problems)
	}
}

func TestDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	s := newSink(t, 500)
	w := newWorker(t, st, clk, map[string]Target{"app": s.target(t, Policy{MaxAttempts: 3, Initial: time.Second, Max: time.Minute})})
	id := st.add(testEvent("ev1", t0), "app")[0]

	for range 3 {
		round(t, w)
		clk.Advance(time.Hour)
	}
	if n := round(t, w); n != 0 {
		t.Errorf("a round after the last attempt leased %d, want 0", n)
	}
	want := []summary{{1, 500, "", event.Pending}, {2, 500, "", event.Pending}, {3, 500, "", event.Dead}}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if d := st.delivery(id); d.State != event.Dead {
		t.Errorf("state = %s, want dead", d.State)
	}
}

func TestPermanentFailureIsDeadAtOnce(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 404, 302} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			st, clk := newFakeStore(), newClock()
			s := newSink(t, status)
			w := newWorker(t, st, clk, map[string]Target{"app": s.target(t, Policy{MaxAttempts: 5})})
			id := st.add(testEvent("ev1", t0), "app")[0]
			round(t, w)
			want := []summary{{1, status, "", event.Dead}}
			if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if a := st.attemptsOf(id)[0]; string(a.Response) != fmt.Sprintf("status %d", status) {
				t.Errorf("response = %q, want the sink's answer", a.Response)
			}
		})
	}
}

func TestRetryAfterSetsNextAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		retryAfter string
		want       time.Duration
	}{
		{"30", 30 * time.Second}, // longer than the 1s backoff
		{t0.Add(45 * time.Second).Format(http.TimeFormat), 45 * time.Second}, // date form, against the injected clock
		{"86400", 5 * time.Minute}, // capped at Max
	}
	for _, tt := range tests {
		t.Run(tt.retryAfter, func(t *testing.T) {
			t.Parallel()
			st, clk := newFakeStore(), newClock()
			s := newSink(t, 429)
			s.header.Set("Retry-After", tt.retryAfter)
			h, err := destination.NewHTTP(destination.HTTPConfig{URL: s.srv.URL, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			w := newWorker(t, st, clk, map[string]Target{"app": {Destination: h, Policy: Policy{Initial: time.Second, Max: 5 * time.Minute}}})
			id := st.add(testEvent("ev1", t0), "app")[0]
			round(t, w)
			d := st.delivery(id)
			if d.State != event.Pending || !d.NextAt.Equal(t0.Add(tt.want)) {
				t.Errorf("delivery %s due %s, want pending due %s", d.State, d.NextAt, t0.Add(tt.want))
			}
		})
	}
}

// gatedSink holds every request until the test opens its gate, and counts
// requests in flight.
type gatedSink struct {
	srv      *httptest.Server
	gate     chan struct{}
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	served   atomic.Int32
	entered  atomic.Int32
}

func newGatedSink(t *testing.T) *gatedSink {
	g := &gatedSink{gate: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := g.inFlight.Add(1)
		defer g.inFlight.Add(-1)
		for {
			m := g.maxSeen.Load()
			if n <= m || g.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		g.entered.Add(1)
		select {
		case <-g.gate:
		case <-r.Context().Done():
			return
		}
		g.served.Add(1)
	}))
	t.Cleanup(g.srv.Close)
	t.Cleanup(g.open)
	return g
}

var openOnce sync.Map

func (g *gatedSink) open() {
	if _, done := openOnce.LoadOrStore(g, true); !done {
		close(g.gate)
	}
}

func (g *gatedSink) target(t *testing.T, concurrency int) Target {
	t.Helper()
	h, err := destination.NewHTTP(destination.HTTPConfig{URL: g.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return Target{Destination: h, Concurrency: concurrency, Timeout: 10 * time.Second}
}

// A slow destination keeps at most Concurrency requests in flight and does
// not hold up another destination, even with its backlog due first.
func TestConcurrencyCapAndIsolation(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	slow := newGatedSink(t)
	fast := newSink(t, 200)
	w := newWorker(t, st, clk, map[string]Target{
		"slow": slow.target(t, 2),
		"fast": fast.target(t, Policy{}),
	}, func(c *Config) { c.Batch = 4 })
	var slowIDs, fastIDs []string
	for i := range 10 {
		slowIDs = append(slowIDs, st.add(testEvent(fmt.Sprintf("s%02d", i), t0), "slow")...)
	}
	for i := range 5 {
		fastIDs = append(fastIDs, st.add(testEvent(fmt.Sprintf("f%02d", i), t0.Add(time.Second)), "fast")...)
	}
	clk.Set(t0.Add(2 * time.Second))

	fastDone := func() bool {
		for _, id := range fastIDs {
			if st.delivery(id).State != event.Succeeded {
				return false
			}
		}
		return true
	}
	waitFor(t, "the fast destination to be served while the slow one is stuck", func() bool {
		if _, err := w.runOnce(t.Context()); err != nil {
			t.Fatalf("runOnce: %v", err)
		}
		return fastDone()
	})
	waitFor(t, "two slow requests in flight", func() bool { return slow.inFlight.Load() == 2 })
	if n := slow.entered.Load(); n != 2 {
		t.Errorf("slow sink entered %d requests while stuck, want 2", n)
	}

	slow.open()
	for range 20 {
		round(t, w)
		clk.Advance(time.Minute) // parked leases expire
	}
	for _, id := range slowIDs {
		if d := st.delivery(id); d.State != event.Succeeded || d.Attempts != 1 {
			t.Errorf("slow delivery %s: %s after %d attempts, want succeeded after 1", id, d.State, d.Attempts)
		}
	}
	if m := slow.maxSeen.Load(); m != 2 {
		t.Errorf("most slow requests in flight at once = %d, want 2", m)
	}
	if len(st.problems) > 0 {
		t.Errorf("store contract violations: %v", st.problems)
	}
}

// An outcome whose lease was taken over meanwhile is not recorded.
func TestStaleLeaseOutcomeIsSkipped(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	g := newGatedSink(t)
	w := newWorker(t, st, clk, map[string]Target{"app": g.target(t, 1)})
	id := st.add(testEvent("ev1", t0), "app")[0]

	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the attempt to reach the sink", func() bool { return g.entered.Load() == 1 })
	mine := st.delivery(id).Lease
	clk.Advance(2 * time.Minute) // the lease expires; another worker takes over
	taken, err := st.Lease(t.Context(), clk.Now(), 10, time.Minute)
	if err != nil || len(taken) != 1 {
		t.Fatalf("takeover Lease = %v, %v", taken, err)
	}
	g.open()
	w.busy.Wait()

	if as := st.attemptsOf(id); len(as) != 0 {
		t.Errorf("attempts = %v, want none recorded from the stale lease", summarise(as))
	}
	if calls := len(st.completeCalls); calls != 1 {
		t.Errorf("Complete called %d times, want 1 (with the stale outcome)", calls)
	}
	if d := st.delivery(id); d.Lease != taken[0].Lease || d.Lease == mine || d.State != event.Pending {
		t.Errorf("delivery = %+v, want it still held by the new lease %q", d, taken[0].Lease)
	}
}

// A delivery that waited in its queue until its lease could not outlast an
// attempt is not attempted, and Stop releases it.
func TestLeaseTooShortIsNotAttemptedAndReleased(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	g := newGatedSink(t)
	w := newWorker(t, st, clk, map[string]Target{"app": g.target(t, 1)})
	ids := []string{st.add(testEvent("ev1", t0), "app")[0], st.add(testEvent("ev2", t0), "app")[0]}

	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt to reach the sink", func() bool { return g.entered.Load() == 1 })
	if n, err := w.runOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("second runOnce = %d, %v; want the second delivery queued", n, err)
	}
	clk.Advance(55 * time.Second) // 5s of lease left, timeout 10s
	g.open()
	w.busy.Wait()

	if n := g.entered.Load(); n != 1 {
		t.Errorf("sink got %d requests, want 1", n)
	}
	if d := st.delivery(ids[1]); d.Attempts != 0 || d.Lease == "" {
		t.Errorf("second delivery = %+v, want leased and not attempted", d)
	}
	if err := w.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := st.delivery(ids[1]); d.Lease != "" || !d.NextAt.Equal(clk.Now()) || d.Attempts != 0 {
		t.Errorf("after Stop, second delivery = %+v, want released, due now, no attempts", d)
	}
	if d := st.delivery(ids[0]); d.State != event.Succeeded {
		t.Errorf("first delivery = %s, want succeeded", d.State)
	}
}

// Stop lets the attempt in flight finish and write its outcome, and releases
// the queued delivery it never attempted.
func TestStopDrainsAndReleases(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	g := newGatedSink(t)
	w := newWorker(t, st, clk, map[string]Target{"app": g.target(t, 1)})
	ids := []string{
		st.add(testEvent("ev1", t0), "app")[0],
		st.add(testEvent("ev2", t0.Add(time.Millisecond)), "app")[0],
		st.add(testEvent("ev3", t0.Add(2*time.Millisecond)), "app")[0],
	}
	clk.Advance(time.Second)
	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt to reach the sink", func() bool { return g.entered.Load() == 1 })
	if n, _ := w.runOnce(t.Context()); n != 1 {
		t.Fatalf("second runOnce leased %d, want 1 (queued)", n)
	}
	if n, _ := w.runOnce(t.Context()); n != 0 {
		t.Fatalf("third runOnce leased %d, want 0 (pool full)", n)
	}

	stopped := make(chan error)
	go func() { stopped <- w.Stop(t.Context()) }()
	waitFor(t, "Stop to stop the pools", func() bool {
		select {
		case <-w.stopping:
			return true
		default:
			return false
		}
	})
	g.open()
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}

	if d := st.delivery(ids[0]); d.State != event.Succeeded || d.Attempts != 1 {
		t.Errorf("in-flight delivery = %s after %d attempts, want succeeded after 1", d.State, d.Attempts)
	}
	if d := st.delivery(ids[1]); d.Lease != "" || d.Attempts != 0 || !d.NextAt.Equal(clk.Now()) {
		t.Errorf("queued delivery = %+v, want released, due now, no attempts", d)
	}
	if d := st.delivery(ids[2]); d.Lease != "" || d.Attempts != 0 || !d.NextAt.Equal(t0.Add(2*time.Millisecond)) {
		t.Errorf("unleased delivery = %+v, want untouched", d)
	}
	if diff := cmp.Diff([]map[string]string{{ids[1]: "lease-2"}}, st.releases); diff != "" {
		t.Errorf("releases (-want +got):\n%s", diff)
	}
}

// When Stop's deadline passes, attempts in flight are cancelled and their
// leases released, with no attempt recorded.
func TestStopDeadlineCancelsInFlight(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	g := newGatedSink(t)
	w := newWorker(t, st, clk, map[string]Target{"app": g.target(t, 1)})
	id := st.add(testEvent("ev1", t0), "app")[0]
	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the attempt to reach the sink", func() bool { return g.entered.Load() == 1 })

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := w.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop = %v, want context.Canceled", err)
	}
	if d := st.delivery(id); d.Lease != "" || d.Attempts != 0 || !d.NextAt.Equal(clk.Now()) {
		t.Errorf("delivery = %+v, want released with no attempt", d)
	}
}

func TestUnconfiguredDestinationStaysPending(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	w := newWorker(t, st, clk, map[string]Target{})
	id := st.add(testEvent("ev1", t0), "gone")[0]

	round(t, w)
	d := st.delivery(id)
	if d.State != event.Pending || !d.NextAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after 1st attempt: %s due %s, want pending due %s", d.State, d.NextAt, t0.Add(time.Second))
	}
	clk.Set(d.NextAt)
	round(t, w)
	if d := st.delivery(id); !d.NextAt.Equal(clk.Now().Add(2 * time.Second)) {
		t.Errorf("after 2nd attempt: due %s, want %s", d.NextAt, clk.Now().Add(2*time.Second))
	}
	want := []summary{
		{1, 0, "destination not configured", event.Pending},
		{2, 0, "destination not configured", event.Pending},
	}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	for range 30 { // never dead, however long it lasts
		clk.Advance(2 * time.Hour)
		round(t, w)
	}
	if d := st.delivery(id); d.State != event.Pending || d.NextAt.Sub(clk.Now()) != DefaultMax {
		t.Errorf("after many attempts: %s due in %s, want pending due in %s", d.State, d.NextAt.Sub(clk.Now()), DefaultMax)
	}
}

// A delivery whose event cannot be read is left leased, not dropped, and
// comes back when the lease expires.
func TestMissingEventIsNotLost(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	var calls atomic.Int32
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: destFunc(func(context.Context, *event.Event, event.Delivery) destination.Result {
		calls.Add(1)
		return destination.Result{Status: 200}
	})}})
	st.addDelivery(event.Delivery{ID: "d1", EventID: "nowhere", Destination: "app", NextAt: t0})

	if n := round(t, w); n != 1 {
		t.Fatalf("round leased %d, want 1", n)
	}
	if n := round(t, w); n != 0 {
		t.Errorf("round before the lease expired leased %d, want 0", n)
	}
	clk.Advance(time.Minute)
	if n := round(t, w); n != 1 {
		t.Errorf("round after the lease expired leased %d, want 1", n)
	}
	if d := st.delivery("d1"); d.State != event.Pending || d.Attempts != 0 {
		t.Errorf("delivery = %+v, want pending, no attempts", d)
	}
	if calls.Load() != 0 {
		t.Errorf("destination called %d times, want 0", calls.Load())
	}
}

type destFunc func(context.Context, *event.Event, event.Delivery) destination.Result

func (f destFunc) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) destination.Result {
	return f(ctx, ev, d)
}

// Deliveries of one event to several destinations share one event read.
func TestEventReadOncePerBatch(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	var got sync.Map
	targets := map[string]Target{}
	for _, name := range []string{"a", "b", "c"} {
		targets[name] = Target{Destination: destFunc(func(_ context.Context, ev *event.Event, d event.Delivery) destination.Result {
			got.Store(d.Destination, string(ev.Body))
			return destination.Result{Status: 204}
		})}
	}
	w := newWorker(t, st, clk, targets)
	ids := st.add(testEvent("ev1", t0), "a", "b", "c")
	round(t, w)
	if st.eventCalls != 1 {
		t.Errorf("Event called %d times, want 1", st.eventCalls)
	}
	for _, id := range ids {
		if d := st.delivery(id); d.State != event.Succeeded {
			t.Errorf("%s = %s, want succeeded", id, d.State)
		}
	}
	for _, name := range []string{"a", "b", "c"} {
		if b, _ := got.Load(name); b != `{"id":"ev1"}` {
			t.Errorf("destination %s got body %v", name, b)
		}
	}
}

func TestPanickingDestinationIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: destFunc(func(context.Context, *event.Event, event.Delivery) destination.Result {
		panic("boom")
	})}})
	id := st.add(testEvent("ev1", t0), "app")[0]
	round(t, w)
	want := []summary{{1, 0, "destination panicked: boom", event.Pending}}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestAttemptRecord(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: destFunc(func(context.Context, *event.Event, event.Delivery) destination.Result {
		clk.Advance(1500 * time.Millisecond)
		return destination.Result{Err: errors.New("connection refused")}
	})}})
	id := st.add(testEvent("ev1", t0), "app")[0]
	clk.Advance(time.Second)
	round(t, w)
	want := event.Attempt{
		ID:         "attempt-1",
		DeliveryID: id,
		N:          1,
		StartedAt:  t0.Add(time.Second),
		Duration:   1500 * time.Millisecond,
		Error:      "connection refused",
		Outcome:    event.Pending,
	}
	if diff := cmp.Diff([]event.Attempt{want}, st.attemptsOf(id)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	// Backoff is measured from the end of the attempt.
	if d := st.delivery(id); !d.NextAt.Equal(t0.Add(2500*time.Millisecond + DefaultInitial)) {
		t.Errorf("due %s, want %s", d.NextAt, t0.Add(2500*time.Millisecond+DefaultInitial))
	}
}

func TestLeaseErrorIsReturned(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	down := errors.New("database is locked")
	st.leaseErr = func() error { return down }
	w := newWorker(t, st, clk, map[string]Target{})
	if _, err := w.runOnce(t.Context()); !errors.Is(err, down) {
		t.Errorf("runOnce = %v, want it to wrap %v", err, down)
	}
}

func TestCompleteFailureIsRetried(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	var fails atomic.Int32
	st.completeErr = func() error {
		if fails.Add(1) == 1 {
			return store.ErrUnavailable
		}
		return nil
	}
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: destFunc(func(context.Context, *event.Event, event.Delivery) destination.Result {
		return destination.Result{Status: 200}
	})}})
	id := st.add(testEvent("ev1", t0), "app")[0]
	round(t, w)
	if d := st.delivery(id); d.State != event.Succeeded {
		t.Errorf("state = %s, want succeeded after Complete's retry", d.State)
	}
}

// Outcomes that finish together are written together.
func TestOutcomesAreBatched(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	release := make(chan struct{})
	var entered atomic.Int32
	w := newWorker(t, st, clk, map[string]Target{"app": {Concurrency: 8, Destination: destFunc(func(_ context.Context, ev *event.Event, _ event.Delivery) destination.Result {
		entered.Add(1)
		if ev.ID != "ev0" {
			<-release
		}
		return destination.Result{Status: 200}
	})}})
	// ev0's outcome comes alone; its Complete is held so the other seven
	// pile up behind it.
	hold := make(chan struct{})
	var first atomic.Bool
	st.completeErr = func() error {
		if first.CompareAndSwap(false, true) {
			<-hold
		}
		return nil
	}
	for i := range 8 {
		st.add(testEvent(fmt.Sprintf("ev%d", i), t0), "app")
	}
	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "eight attempts, ev0's outcome in Complete", func() bool { return entered.Load() == 8 && first.Load() })
	close(release)
	waitFor(t, "outcomes to pile up", func() bool { return len(w.out) == 7 })
	close(hold)
	w.busy.Wait()
	var sizes []int
	for _, c := range st.completeCalls {
		sizes = append(sizes, len(c))
	}
	if diff := cmp.Diff([]int{1, 7}, sizes); diff != "" {
		t.Errorf("Complete batch sizes (-want +got):\n%s", diff)
	}
}

// Start, Notify and Stop drive the real loop: with a one-hour poll, only
// Notify can make a new delivery go out.
func TestNotifyWakesTheLoop(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	s := newSink(t, 200)
	w, err := New(Config{
		Store: st, Targets: map[string]Target{"app": s.target(t, Policy{})},
		Poll: time.Hour, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(t.Context()); err == nil {
		t.Error("second Start succeeded, want an error")
	}
	// Let the first (empty) round pass before the event arrives.
	waitFor(t, "the first round", func() bool { return st.leaseCount() == 1 })
	id := st.add(testEvent("ev1", t0), "app")[0]
	w.Notify()
	w.Notify() // never blocks
	waitFor(t, "the delivery to succeed", func() bool { return st.delivery(id).State == event.Succeeded })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := w.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	st := newFakeStore()
	ok := destFunc(func(context.Context, *event.Event, event.Delivery) destination.Result { return destination.Result{} })
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no store", Config{}},
		{"no destination", Config{Store: st, Targets: map[string]Target{"app": {}}}},
		{"negative concurrency", Config{Store: st, Targets: map[string]Target{"app": {Destination: ok, Concurrency: -1}}}},
		{"negative policy", Config{Store: st, Targets: map[string]Target{"app": {Destination: ok, Policy: Policy{MaxAttempts: -1}}}}},
		{"timeout not under lease", Config{Store: st, LeaseFor: 10 * time.Second, Targets: map[string]Target{"app": {Destination: ok}}}},
		{"negative batch", Config{Store: st, Batch: -1}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("New(%s) succeeded, want an error", tt.name)
		}
	}
}
