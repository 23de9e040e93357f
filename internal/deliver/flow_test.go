package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// scripted is a real HTTP destination whose server answers with the status
// the test sets and records when each request came, on the test's clock.
type scripted struct {
	*destination.HTTP
	clk    *clock
	mu     sync.Mutex
	status int
	starts []time.Time
}

func newScripted(t *testing.T, clk *clock, status int) *scripted {
	t.Helper()
	s := &scripted{clk: clk, status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.starts = append(s.starts, s.clk.Now())
		status := s.status
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	h, err := destination.NewHTTP(destination.HTTPConfig{URL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.HTTP = h
	return s
}

func (s *scripted) set(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *scripted) attempts() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.starts...)
}

// addMany stores n events, each with one delivery to dest due at at, and
// returns the delivery ids in lease order.
func addMany(st *fakeStore, prefix string, n int, at time.Time, dest string) []string {
	var ids []string
	for i := range n {
		ids = append(ids, st.add(testEvent(fmt.Sprintf("%s%03d", prefix, i), at), dest)...)
	}
	return ids
}

// countIn counts the times in [from, to).
func countIn(ts []time.Time, from, to time.Time) int {
	n := 0
	for _, t := range ts {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// within fails unless got is within 10% of want.
func within(t *testing.T, what string, got, want float64) {
	t.Helper()
	if got < want*0.9 || got > want*1.1 {
		t.Errorf("%s = %.1f, want %.1f ± 10%%", what, got, want)
	}
}

// run drives the lease loop for d of the test's time as loop does, on the
// test's clock: again at once after a full lease, else after poll or when
// a destination held back by flow control may take more.
func run(t *testing.T, w *Worker, clk *clock, d, poll time.Duration) {
	t.Helper()
	for end := clk.Now().Add(d); clk.Now().Before(end); {
		if n := round(t, w); n > 0 && n == w.lastLimit {
			continue
		}
		clk.Advance(w.untilReady(poll))
	}
}

// A rate-limited destination alone: the worker leases only what it may send
// (nothing is leased only to wait), and attempts start at the rate.
func TestRateLimitHolds(t *testing.T) {
	t.Parallel()
	for _, rl := range []RateLimit{{PerSecond: 20, Burst: 1}, {PerSecond: 5, Burst: 10}, {PerSecond: 0.5}} {
		t.Run(fmt.Sprintf("%g/s burst %d", rl.PerSecond, rl.Burst), func(t *testing.T) {
			t.Parallel()
			st, clk := newFakeStore(), newClock()
			app := newScripted(t, clk, 200)
			w := newWorker(t, st, clk, map[string]Target{"app": {Destination: app, RateLimit: rl}})
			const span = 60 * time.Second
			addMany(st, "ev", int(rl.PerSecond*span.Seconds())+rl.Burst+100, t0, "app")

			run(t, w, clk, span, 7*time.Millisecond)
			starts := app.attempts()
			within(t, "attempts in a minute", float64(countIn(starts, t0, t0.Add(span))),
				rl.PerSecond*span.Seconds()+float64(max(rl.Burst, 1)))
			if rl.Burst <= 1 {
				for i := 1; i < len(starts); i++ {
					if gap := starts[i].Sub(starts[i-1]); gap < time.Duration(float64(time.Second)/rl.PerSecond) {
						t.Fatalf("attempts %d and %d only %s apart", i-1, i, gap)
					}
				}
			}
			if len(st.releases) != 0 {
				t.Errorf("%d Release calls, want none: only what can be sent is leased", len(st.releases))
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			for id, d := range st.deliveries {
				if d.State == event.Pending && d.Lease != "" {
					t.Fatalf("delivery %s is leased but waiting", id)
				}
			}
		})
	}
}

// A rate-limited destination beside a busy one: the busy one is not held
// up, and what the limited one cannot send yet is given back, spread out
// at the rate, not kept leased.
func TestRateLimitBesideOthers(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	slow := newScripted(t, clk, 200)
	fast := newScripted(t, clk, 200)
	w := newWorker(t, st, clk, map[string]Target{
		"slow": {Destination: slow, RateLimit: RateLimit{PerSecond: 5}},
		"fast": {Destination: fast},
	})
	addMany(st, "s", 100, t0, "slow")
	fastIDs := addMany(st, "t", 100, t0.Add(time.Millisecond), "fast")
	clk.Advance(time.Millisecond)

	run(t, w, clk, time.Second, 10*time.Millisecond)
	for _, id := range fastIDs {
		if d := st.delivery(id); d.State != event.Succeeded {
			t.Fatalf("fast delivery %s: %s after a second, want succeeded", id, d.State)
		}
	}
	run(t, w, clk, 14*time.Second, 10*time.Millisecond)
	within(t, "slow attempts in 15s", float64(countIn(slow.attempts(), t0, t0.Add(15*time.Second))), 5*15+1)

	w.mu.Lock()
	parked := len(w.parked)
	w.mu.Unlock()
	if parked != 0 {
		t.Errorf("%d leases parked, want none: deliveries that must wait are given back", parked)
	}
	for _, d := range st.deliveries {
		if d.State == event.Pending && (d.Attempts != 0 || d.Lease != "") {
			t.Errorf("waiting delivery %s: %d attempts, lease %q; want none, not leased", d.ID, d.Attempts, d.Lease)
		}
	}
}

// The circuit opens after consecutive failures; while it is open nothing is
// attempted or leased, and no attempt is spent. A failed probe opens it again;
// a successful one closes it.
func TestCircuitOpensAndCloses(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	app := newScripted(t, clk, http.StatusServiceUnavailable)
	other := newScripted(t, clk, 200)
	const openFor = 30 * time.Second
	w := newWorker(t, st, clk, map[string]Target{
		"app": {Destination: app, Concurrency: 1, Policy: Policy{MaxAttempts: 100, Initial: time.Second, Max: time.Second},
			Circuit: Circuit{Failures: 3, OpenFor: openFor}},
		"other": {Destination: other},
	}, func(c *Config) { c.Batch = 1 })
	ids := addMany(st, "ev", 10, t0, "app")
	untilIdle := func() {
		t.Helper()
		for range 100 {
			if round(t, w) == 0 {
				return
			}
		}
		t.Fatal("the worker never went idle")
	}

	untilIdle()
	if got := len(app.attempts()); got != 3 {
		t.Fatalf("%d attempts before the circuit opened, want 3", got)
	}
	if s, _ := w.FlowState("app"); s.Circuit != CircuitOpen || !s.OpenUntil.Equal(t0.Add(openFor)) {
		t.Fatalf("flow state %+v, want open until %v", s, t0.Add(openFor))
	}
	clk.Advance(time.Second) // the three retries come due; still open
	untilIdle()
	if got := len(app.attempts()); got != 3 {
		t.Fatalf("%d attempts while open, want still 3", got)
	}
	// While open, app has no room: its deliveries are not leased at all
	// (other's room does not lease them either), and stay due as they were.
	for i, id := range ids {
		d := st.delivery(id)
		wantAttempts, wantDue := 0, t0
		if i < 3 {
			wantAttempts, wantDue = 1, t0.Add(time.Second)
		}
		if d.State != event.Pending || d.Lease != "" || !d.NextAt.Equal(wantDue) || d.Attempts != wantAttempts {
			t.Errorf("delivery %d while open: %+v; want pending, not leased, due %v, %d attempts", i, d, wantDue, wantAttempts)
		}
	}

	clk.Set(t0.Add(openFor)) // half-open: one probe, which fails
	untilIdle()
	if got := countIn(app.attempts(), t0.Add(openFor), t0.Add(2*openFor)); got != 1 {
		t.Fatalf("%d attempts while half-open, want the one probe", got)
	}
	reopened := t0.Add(2 * openFor)
	if s, _ := w.FlowState("app"); s.Circuit != CircuitOpen || !s.OpenUntil.Equal(reopened) {
		t.Fatalf("after a failed probe: %+v, want open until %v", s, reopened)
	}

	app.set(200)
	clk.Set(reopened) // the probe succeeds, the circuit closes, all go
	for range 20 {
		untilIdle()
		clk.Advance(time.Second)
	}
	for _, id := range ids {
		if d := st.delivery(id); d.State != event.Succeeded {
			t.Errorf("delivery %s: %s, want succeeded once the circuit closed", id, d.State)
		}
	}
	if s, _ := w.FlowState("app"); s.Circuit != CircuitClosed {
		t.Errorf("circuit %s, want closed", s.Circuit)
	}
	starts := app.attempts()
	if got, want := len(starts), 3+1+10; got != want {
		t.Errorf("%d attempts in all, want %d (3 failures, a failed probe, 10 successes)", got, want)
	}
	if n := countIn(starts, t0.Add(time.Nanosecond), t0.Add(openFor)); n != 0 {
		t.Errorf("%d attempts while the circuit was open", n)
	}
	if len(st.problems) > 0 {
		t.Errorf("store contract violations: %v", st.problems)
	}
}

// A paused destination gets nothing until it is resumed; then what it held
// goes at once. Other destinations are not held up.
func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	app := newScripted(t, clk, 200)
	other := newScripted(t, clk, 200)
	w := newWorker(t, st, clk, map[string]Target{
		"app":   {Destination: app, Paused: true},
		"other": {Destination: other},
	})
	appIDs := addMany(st, "a", 5, t0, "app")
	addMany(st, "o", 3, t0, "other")

	run(t, w, clk, 5*time.Second, time.Second)
	if n := len(app.attempts()); n != 0 {
		t.Fatalf("paused destination got %d attempts", n)
	}
	if n := len(other.attempts()); n != 3 {
		t.Errorf("other destination got %d attempts, want 3", n)
	}
	if s, _ := w.FlowState("app"); !s.Paused {
		t.Errorf("FlowState = %+v, want paused", s)
	}

	if err := w.Resume("app"); err != nil {
		t.Fatal(err)
	}
	round(t, w)
	for _, id := range appIDs {
		if d := st.delivery(id); d.State != event.Succeeded || d.Attempts != 1 {
			t.Errorf("after Resume: %s %s after %d attempts, want succeeded after 1", id, d.State, d.Attempts)
		}
	}

	if err := w.Pause("app"); err != nil {
		t.Fatal(err)
	}
	late := st.add(testEvent("late", clk.Now()), "app")[0]
	run(t, w, clk, 3*time.Minute, 10*time.Second) // leases held expire and are held again
	if d := st.delivery(late); d.Attempts != 0 {
		t.Fatalf("delivery made while paused: %d attempts, want none", d.Attempts)
	}
	if err := w.Resume("app"); err != nil {
		t.Fatal(err)
	}
	round(t, w)
	if d := st.delivery(late); d.State != event.Succeeded {
		t.Errorf("after the second Resume: %s, want succeeded", d.State)
	}
	for _, err := range []error{w.Pause("nope"), w.Resume("nope")} {
		if !errors.Is(err, ErrUnknownDestination) {
			t.Errorf("Pause/Resume of an unknown destination = %v, want ErrUnknownDestination", err)
		}
	}
}

// With disable_on_410, 410 Gone kills the delivery and pauses the
// destination; without, it only kills the delivery.
func TestGonePausesDestination(t *testing.T) {
	t.Parallel()
	for _, disable := range []bool{true, false} {
		t.Run(fmt.Sprint(disable), func(t *testing.T) {
			t.Parallel()
			st, clk := newFakeStore(), newClock()
			app := newScripted(t, clk, http.StatusGone)
			p := Policy{DisableOn410: disable}
			if disable {
				p.RetryStatuses = []int{410} // disable_on_410 wins
			}
			w := newWorker(t, st, clk, map[string]Target{"app": {Destination: app, Policy: p}},
				func(c *Config) { c.Batch = 1 })
			ids := addMany(st, "ev", 2, t0, "app")
			round(t, w)
			round(t, w)
			if d := st.delivery(ids[0]); d.State != event.Dead {
				t.Errorf("first delivery %s, want dead", d.State)
			}
			s, _ := w.FlowState("app")
			second := st.delivery(ids[1])
			if disable && (!s.Paused || second.Attempts != 0) {
				t.Errorf("flow %+v, second delivery %d attempts; want paused, not attempted", s, second.Attempts)
			}
			if !disable && (s.Paused || second.State != event.Dead) {
				t.Errorf("flow %+v, second delivery %s; want not paused, dead", s, second.State)
			}
		})
	}
}

// setDelivery changes a stored delivery.
func (s *fakeStore) setDelivery(id string, f func(d *event.Delivery)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.deliveries[id])
}

// MaxAge: a retry that would come past it is not scheduled, a delivery
// leased past it is dead without an attempt, and a delivery retried by hand
// counts its age, and its attempts, afresh.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	app := newScripted(t, clk, http.StatusServiceUnavailable)
	w := newWorker(t, st, clk, map[string]Target{
		"app": {Destination: app, Policy: Policy{MaxAttempts: 3, Initial: 40 * time.Minute, Max: 2 * time.Hour, MaxAge: time.Hour}},
	}, func(c *Config) { c.LeaseFor = 3 * time.Hour })
	first := st.add(testEvent("ev1", t0), "app")[0]
	round(t, w) // fails at t0; the retry at t0+40m is within the hour
	if d := st.delivery(first); d.State != event.Pending || !d.NextAt.Equal(t0.Add(40*time.Minute)) {
		t.Fatalf("after the first attempt: %s due %v, want pending due %v", d.State, d.NextAt, t0.Add(40*time.Minute))
	}
	clk.Set(t0.Add(40 * time.Minute))
	round(t, w) // fails; the retry would be at t0+2h: dead now
	if d := st.delivery(first); d.State != event.Dead || d.Attempts != 2 {
		t.Errorf("after the second attempt: %s after %d attempts, want dead after 2", d.State, d.Attempts)
	}

	old := st.add(testEvent("ev2", t0.Add(30*time.Minute)), "app")[0]
	retried := st.add(testEvent("ev3", t0), "app")[0]
	clk.Set(t0.Add(2 * time.Hour))
	st.setDelivery(retried, func(d *event.Delivery) {
		d.Attempts, d.AttemptBase, d.RetriedAt, d.NextAt = 3, 3, clk.Now(), clk.Now()
	})
	before := len(app.attempts())
	round(t, w)
	want := []summary{{1, 0, "not attempted: older than max_age (1h0m0s)", event.Dead}}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(old))); diff != "" {
		t.Errorf("delivery past its max age (-want +got):\n%s", diff)
	}
	if d := st.delivery(retried); d.State != event.Pending || d.Attempts != 4 {
		t.Errorf("retried delivery: %s after %d attempts, want pending after 4 (a fresh budget of 3, and a fresh age)", d.State, d.Attempts)
	}
	if got := len(app.attempts()) - before; got != 1 {
		t.Errorf("%d attempts in the last round, want 1 (the retried delivery only)", got)
	}
	if len(st.problems) > 0 {
		t.Errorf("store contract violations: %v", st.problems)
	}
}

// A delivery retried by hand numbers its attempts on, and gets MaxAttempts
// more.
func TestRetriedDeliveryHasFreshBudget(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	s := newSink(t, 500)
	w := newWorker(t, st, clk, map[string]Target{"app": s.target(t, Policy{MaxAttempts: 2, Initial: time.Second, Max: time.Second})})
	id := st.add(testEvent("ev1", t0), "app")[0]
	st.setDelivery(id, func(d *event.Delivery) { d.Attempts, d.AttemptBase = 2, 2 })
	round(t, w)
	clk.Advance(time.Minute)
	round(t, w)
	want := []summary{{3, 500, "", event.Pending}, {4, 500, "", event.Dead}}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if got := s.requests()[0].Get("Hookgate-Attempt"); got != "3" {
		t.Errorf("Hookgate-Attempt = %q, want 3", got)
	}
}

// The attempt record holds what was sent and answered, with credentials
// and signatures redacted.
func TestAttemptRecordsRequestAndResponse(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=abc")
		w.Header().Set("X-Request-Id", "r-1")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	u := strings.Replace(srv.URL, "http://", "http://user:pw@", 1) + "/hooks?token=t0p&v=1"
	h, err := destination.NewHTTP(destination.HTTPConfig{
		URL: u, Headers: map[string]string{"Authorization": "Bearer s3cret", "X-Team": "blue"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: h}})
	id := st.add(testEvent("ev1", t0), "app")[0]
	round(t, w)
	as := st.attemptsOf(id)
	if len(as) != 1 {
		t.Fatalf("%d attempts, want 1", len(as))
	}
	a := as[0]
	wantURL := strings.TrimPrefix(srv.URL, "") + "/hooks?token=%5Bredacted%5D&v=1"
	if a.Request.Method != http.MethodPost || a.Request.URL != wantURL {
		t.Errorf("request %s %s, want POST %s", a.Request.Method, a.Request.URL, wantURL)
	}
	for k, want := range map[string]string{
		"Authorization": redacted, "Webhook-Signature": redacted, "X-Team": "blue",
		"Webhook-Id": "ev1", "Content-Type": "application/json", "Hookgate-Attempt": "1",
	} {
		if got := a.Request.Header.Get(k); got != want {
			t.Errorf("request header %s = %q, want %q", k, got, want)
		}
	}
	if got := a.ResponseHeader.Get("X-Request-Id"); got != "r-1" {
		t.Errorf("response header X-Request-Id = %q, want r-1", got)
	}
	if got := a.ResponseHeader.Get("Set-Cookie"); got != redacted {
		t.Errorf("response header Set-Cookie = %q, want it redacted", got)
	}
	for _, s := range []string{"s3cret", "t0p", "pw", "abc"} {
		if strings.Contains(fmt.Sprint(a.Request, a.ResponseHeader), s) {
			t.Errorf("the record holds the secret %q: %+v %+v", s, a.Request, a.ResponseHeader)
		}
	}
}

func TestRedactHeader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxHeaderValue+10)
	got := redactHeader(http.Header{
		"Authorization": {"Bearer a"}, "X-Api-Key": {"k"}, "X-Hub-Signature-256": {"sha256=..."},
		"Cookie": {"c=1"}, "X-Auth-Token": {"t"}, "Content-Type": {"text/plain"}, "X-Long": {long},
	})
	want := http.Header{
		"Authorization": {redacted}, "X-Api-Key": {redacted}, "X-Hub-Signature-256": {redacted},
		"Cookie": {redacted}, "X-Auth-Token": {redacted}, "Content-Type": {"text/plain"},
		"X-Long": {long[:maxHeaderValue] + "…"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("redactHeader (-want +got):\n%s", diff)
	}
	big := http.Header{}
	for i := range 100 {
		big.Set(fmt.Sprintf("X-H%03d", i), strings.Repeat("v", 500))
	}
	size := 0
	for k, vs := range redactHeader(big) {
		size += len(k) + len(vs[0])
	}
	if size > maxHeaders {
		t.Errorf("redacted headers hold %d bytes, want at most %d", size, maxHeaders)
	}
	if redactHeader(nil) != nil {
		t.Error("redactHeader(nil) is not nil")
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://app.example.com/hooks", "https://app.example.com/hooks"},
		{"https://u:p@app.example.com/hooks?v=1", "https://app.example.com/hooks?v=1"},
		{"https://app.example.com/h?api_key=k&b=2&sig=s", "https://app.example.com/h?api_key=%5Bredacted%5D&b=2&sig=%5Bredacted%5D"},
		{"https://app.example.com/h?a=1&a=2", "https://app.example.com/h?a=1&a=2"},
		{"http://[::1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A delivery whose max age passes while it waits in its destination's queue
// is not sent.
func TestMaxAgePassedInQueue(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	g := newGatedSink(t)
	tg := g.target(t, 1)
	tg.Policy.MaxAge = 30 * time.Second
	w := newWorker(t, st, clk, map[string]Target{"app": tg})
	ids := addMany(st, "ev", 2, t0, "app")
	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt to reach the sink", func() bool { return g.entered.Load() == 1 })
	if n, err := w.runOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("second runOnce = %d, %v; want the second delivery queued", n, err)
	}
	clk.Advance(40 * time.Second)
	g.open()
	w.busy.Wait()
	if n := g.entered.Load(); n != 1 {
		t.Errorf("sink got %d requests, want 1", n)
	}
	if d := st.delivery(ids[0]); d.State != event.Succeeded {
		t.Errorf("first delivery %s, want succeeded", d.State)
	}
	want := []summary{{1, 0, "not attempted: older than max_age (30s)", event.Dead}}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(ids[1]))); diff != "" {
		t.Errorf("second delivery's attempts (-want +got):\n%s", diff)
	}
}

func TestNewRejectsFlow(t *testing.T) {
	t.Parallel()
	ok := destFunc(func(context.Context, *event.Event, event.Delivery) destination.Result { return destination.Result{} })
	for _, tg := range []Target{
		{Destination: ok, RateLimit: RateLimit{PerSecond: -1}},
		{Destination: ok, Circuit: Circuit{Failures: 3}},
		{Destination: ok, Circuit: Circuit{Ratio: 2, Window: 5, OpenFor: time.Second}},
		{Destination: ok, Policy: Policy{MaxAge: -time.Second}},
	} {
		if _, err := New(Config{Store: newFakeStore(), Targets: map[string]Target{"app": tg}}); err == nil {
			t.Errorf("New with %+v succeeded, want an error", tg)
		}
	}
}

// A delivery already queued when its destination is paused is held, not
// sent; Resume gives it back at once.
func TestPauseHoldsQueued(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	g := newGatedSink(t)
	w := newWorker(t, st, clk, map[string]Target{"app": g.target(t, 1)})
	ids := addMany(st, "ev", 2, t0, "app")
	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first attempt to reach the sink", func() bool { return g.entered.Load() == 1 })
	if n, err := w.runOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("second runOnce = %d, %v; want the second delivery queued", n, err)
	}
	if err := w.Pause("app"); err != nil {
		t.Fatal(err)
	}
	g.open()
	w.busy.Wait()
	if d := st.delivery(ids[0]); d.State != event.Succeeded {
		t.Errorf("the attempt in flight: %s, want succeeded (a pause lets it finish)", d.State)
	}
	if d := st.delivery(ids[1]); d.Attempts != 0 || d.Lease == "" {
		t.Fatalf("queued delivery %+v, want held: leased, not attempted", d)
	}
	if err := w.Resume("app"); err != nil {
		t.Fatal(err)
	}
	if d := st.delivery(ids[1]); d.Lease != "" || !d.NextAt.Equal(clk.Now()) {
		t.Fatalf("after Resume: %+v, want given back, due now", d)
	}
	round(t, w)
	if d := st.delivery(ids[1]); d.State != event.Succeeded || g.entered.Load() != 2 {
		t.Errorf("after Resume: %s, sink entered %d; want succeeded, 2", d.State, g.entered.Load())
	}
}
