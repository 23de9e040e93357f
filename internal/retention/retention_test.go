package retention

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a Clock the test drives: Now is what the test set, and
// After hands the test the duration asked for and waits for it to fire.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan time.Duration    // each After call
	fire  chan chan<- time.Time // where the test fires it
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waits: make(chan time.Duration, 1), fire: make(chan chan<- time.Time, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.fire <- ch
	c.waits <- d
	return ch
}

// waitRound waits for Run to finish a round and ask to sleep, and returns
// how long it asked for and the channel that wakes it.
func (c *fakeClock) waitRound(t *testing.T) (time.Duration, chan<- time.Time) {
	t.Helper()
	select {
	case d := <-c.waits:
		return d, <-c.fire
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not finish a round")
		return 0, nil
	}
}

// countingStore counts the Purge calls made to a real store.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	calls []string // "events,rejections" per call
}

func (s *countingStore) Purge(ctx context.Context, r store.Retention) (int, int, error) {
	evs, rejs, err := s.Store.Purge(ctx, r)
	s.mu.Lock()
	s.calls = append(s.calls, fmt.Sprintf("%d,%d", evs, rejs))
	s.mu.Unlock()
	return evs, rejs, err
}

func (s *countingStore) takeCalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// logBuffer collects log lines, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookgate.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addEvents(t *testing.T, s store.Store, n int, at time.Time) {
	t.Helper()
	for range n {
		ev := &event.Event{Source: "github", Method: "POST", Body: []byte("{}"), ReceivedAt: at}
		if _, err := s.Ingest(t.Context(), ev, nil); err != nil {
			t.Fatalf("Ingest: %v", err)
		}
	}
}

func addRejections(t *testing.T, s store.Store, n int, at time.Time) {
	t.Helper()
	for range n {
		if err := s.Reject(t.Context(), event.Rejection{Source: "github", ReceivedAt: at, Status: 401, Reason: "bad signature"}); err != nil {
			t.Fatalf("Reject: %v", err)
		}
	}
}

func countEvents(t *testing.T, s store.Store) int {
	t.Helper()
	n, err := s.CountEvents(t.Context(), store.EventFilter{})
	if err != nil {
		t.Fatalf("CountEvents: %v", err)
	}
	return n
}

func testConfig() config.Retention {
	return config.Retention{
		Events:     config.Keeps(720 * time.Hour),
		Dead:       config.Keeps(2160 * time.Hour),
		Rejections: config.Keeps(168 * time.Hour),
		Interval:   config.Duration(time.Minute),
		Batch:      3,
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	real := openStore(t)
	st := &countingStore{Store: real}
	addEvents(t, real, 7, t0.Add(-31*24*time.Hour)) // older than 30 days
	addEvents(t, real, 2, t0.Add(-29*24*time.Hour))
	addRejections(t, real, 3, t0.Add(-8*24*time.Hour))
	addRejections(t, real, 1, t0.Add(-6*24*time.Hour))

	clock := newFakeClock(t0)
	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, st, testConfig(), clock, log)
	}()

	// Round 1: batches of 3 until each kind comes back short.
	d, wake := clock.waitRound(t)
	if d != time.Minute {
		t.Errorf("Run sleeps %v between rounds, want 1m", d)
	}
	if diff := cmp.Diff([]string{"3,3", "3,0", "1,0"}, st.takeCalls()); diff != "" {
		t.Errorf("round 1 Purge calls (events,rejections) (-want +got):\n%s", diff)
	}
	if n := countEvents(t, real); n != 2 {
		t.Errorf("after round 1: %d events, want the 2 younger than 30 days", n)
	}
	if rs, _ := real.Rejections(t.Context(), 0); len(rs) != 1 {
		t.Errorf("after round 1: %d rejections, want the 1 younger than 7 days", len(rs))
	}
	if got := logs.take(); strings.Count(got, "retention removed old records") != 1 ||
		!strings.Contains(got, "events=7 rejections=3") || !strings.Contains(got, "level=INFO") {
		t.Errorf("round 1 logged %q, want one info line with events=7 rejections=3", got)
	}

	// Round 2, two days on: the 2 events and the rejection left are old.
	clock.set(t0.Add(2 * 24 * time.Hour))
	wake <- clock.Now()
	_, wake = clock.waitRound(t)
	if diff := cmp.Diff([]string{"2,1"}, st.takeCalls()); diff != "" {
		t.Errorf("round 2 Purge calls (-want +got):\n%s", diff)
	}
	if n := countEvents(t, real); n != 0 {
		t.Errorf("after round 2: %d events, want none", n)
	}
	if got := logs.take(); !strings.Contains(got, "events=2 rejections=1") {
		t.Errorf("round 2 logged %q, want events=2 rejections=1", got)
	}

	// Round 3 with nothing to remove logs nothing.
	wake <- clock.Now()
	_, wake = clock.waitRound(t)
	if diff := cmp.Diff([]string{"0,0"}, st.takeCalls()); diff != "" {
		t.Errorf("round 3 Purge calls (-want +got):\n%s", diff)
	}
	if got := logs.take(); got != "" {
		t.Errorf("round 3 removed nothing but logged %q", got)
	}

	// A failing round is logged as a warning, and Run carries on.
	real.Close()
	wake <- clock.Now()
	_, _ = clock.waitRound(t)
	if got := logs.take(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "store closed") {
		t.Errorf("failed round logged %q, want a warning with the error", got)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
}

// With every period off, Run returns at once and removes nothing.
func TestRunOff(t *testing.T) {
	t.Parallel()
	real := openStore(t)
	st := &countingStore{Store: real}
	addEvents(t, real, 2, t0.Add(-365*24*time.Hour))
	cfg := testConfig()
	cfg.Events, cfg.Dead, cfg.Rejections = config.Forever, config.Forever, config.Forever
	var logs logBuffer
	Run(t.Context(), st, cfg, newFakeClock(t0), slog.New(slog.NewTextHandler(&logs, nil)))
	if calls := st.takeCalls(); len(calls) != 0 {
		t.Errorf("Purge called %v with retention off", calls)
	}
	if n := countEvents(t, real); n != 2 {
		t.Errorf("%d events left, want 2", n)
	}
	if got := logs.take(); !strings.Contains(got, "retention is off") {
		t.Errorf("logged %q, want it to say retention is off", got)
	}
}

// Round maps the config's periods to cutoffs: events off keeps finished
// events while dead letters still go; rejections off keeps rejections.
func TestRoundPeriods(t *testing.T) {
	t.Parallel()
	real := openStore(t)
	addEvents(t, real, 2, t0.Add(-100*24*time.Hour))
	addRejections(t, real, 2, t0.Add(-100*24*time.Hour))
	cfg := testConfig()
	cfg.Events, cfg.Rejections = config.Forever, config.Forever
	n, err := Round(t.Context(), real, cfg, t0)
	if err != nil || n != (Removed{}) {
		t.Errorf("Round with events and rejections off = %+v, %v; want nothing removed", n, err)
	}
	cfg.Events = config.Keeps(time.Hour)
	n, err = Round(t.Context(), real, cfg, t0)
	if err != nil || n != (Removed{Events: 2}) {
		t.Errorf("Round with events on = %+v, %v; want the 2 events removed", n, err)
	}
}

// Start's stop function ends Run and waits for it.
func TestStartStop(t *testing.T) {
	t.Parallel()
	real := openStore(t)
	clock := newFakeClock(t0)
	stop := Start(t.Context(), real, testConfig(), clock, slog.New(slog.DiscardHandler))
	clock.waitRound(t)
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
}
