package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// namedDest is a comparable destination (a pointer) that records which
// deliveries it got, can hold them until released, and records Close.
type namedDest struct {
	name    string
	gate    chan struct{} // nil: answer at once
	entered atomic.Int32
	active  atomic.Int32

	mu     sync.Mutex
	got    []string // delivery ids
	closed bool
	// activeAtClose is how many Deliver calls ran when Close was called.
	activeAtClose int32
}

func newNamedDest(name string, gated bool) *namedDest {
	d := &namedDest{name: name}
	if gated {
		d.gate = make(chan struct{})
	}
	return d
}

func (d *namedDest) Deliver(ctx context.Context, _ *event.Event, del event.Delivery) destination.Result {
	d.active.Add(1)
	defer d.active.Add(-1)
	d.entered.Add(1)
	if d.gate != nil {
		select {
		case <-d.gate:
		case <-ctx.Done():
			return destination.Result{Err: ctx.Err()}
		}
	}
	d.mu.Lock()
	d.got = append(d.got, del.ID)
	d.mu.Unlock()
	return destination.Result{Status: 200}
}

func (d *namedDest) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	d.activeAtClose = d.active.Load()
	return nil
}

func (d *namedDest) received() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.got...)
}

func (d *namedDest) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// An equal target keeps its pool; a changed one is replaced; a new one is
// added; a removed one's stored deliveries stay pending as unconfigured.
func TestSetTargetsAddsReplacesRemoves(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	a, b1, b2, c := newNamedDest("a", false), newNamedDest("b1", false), newNamedDest("b2", false), newNamedDest("c", false)
	ta := Target{Destination: a, Concurrency: 2}
	w := newWorker(t, st, clk, map[string]Target{"a": ta, "b": {Destination: b1}})
	poolA := w.current()["a"]

	if err := w.SetTargets(map[string]Target{"a": ta, "b": {Destination: b2}, "c": {Destination: c}}); err != nil {
		t.Fatalf("SetTargets: %v", err)
	}
	if w.current()["a"] != poolA {
		t.Error("the unchanged target got a new pool")
	}
	waitFor(t, "the replaced destination to be closed", b1.isClosed)
	ids := st.add(testEvent("ev1", t0), "a", "b", "c")
	round(t, w)
	for i, d := range []*namedDest{a, b2, c} {
		if diff := cmp.Diff([]string{ids[i]}, d.received()); diff != "" {
			t.Errorf("%s got (-want +got):\n%s", d.name, diff)
		}
	}
	if got := b1.received(); len(got) != 0 {
		t.Errorf("the replaced destination got %v after the swap", got)
	}

	if err := w.SetTargets(map[string]Target{"a": ta}); err != nil {
		t.Fatalf("SetTargets: %v", err)
	}
	waitFor(t, "the removed destination to be closed", c.isClosed)
	if a.isClosed() {
		t.Error("the kept destination was closed")
	}
	id := st.add(testEvent("ev2", t0), "c")[0]
	round(t, w)
	want := []summary{{1, 0, "destination not configured", event.Pending}}
	if diff := cmp.Diff(want, summarise(st.attemptsOf(id))); diff != "" {
		t.Errorf("orphaned delivery's attempts (-want +got):\n%s", diff)
	}
	if d := st.delivery(id); d.State != event.Pending {
		t.Errorf("orphaned delivery is %s, want pending", d.State)
	}
	if got := c.received(); len(got) != 1 {
		t.Errorf("the removed destination got %v, want only the delivery before its removal", got)
	}
}

// A replaced pool finishes what it holds (the attempt in flight and the
// queued delivery) with its old destination, which is closed only after
// that; new deliveries go to the new destination meanwhile.
func TestSetTargetsRetiredPoolFinishesItsWork(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	old, repl := newNamedDest("old", true), newNamedDest("new", false)
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: old, Concurrency: 1}})
	ids := []string{
		st.add(testEvent("ev1", t0), "app")[0],
		st.add(testEvent("ev2", t0.Add(time.Millisecond)), "app")[0],
	}
	clk.Advance(time.Second)
	if n, err := w.runOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v; want 1 leased", n, err)
	}
	waitFor(t, "the first attempt to start", func() bool { return old.entered.Load() == 1 })
	if n, err := w.runOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("second runOnce = %d, %v; want 1 leased (queued)", n, err)
	}

	if err := w.SetTargets(map[string]Target{"app": {Destination: repl, Concurrency: 1}}); err != nil {
		t.Fatalf("SetTargets: %v", err)
	}
	id3 := st.add(testEvent("ev3", clk.Now()), "app")[0]
	if n, err := w.runOnce(t.Context()); n != 1 || err != nil {
		t.Fatalf("runOnce after the swap = %d, %v; want 1 leased", n, err)
	}
	waitFor(t, "the new destination to get ev3", func() bool { return len(repl.received()) == 1 })
	if diff := cmp.Diff([]string{id3}, repl.received()); diff != "" {
		t.Errorf("new destination got (-want +got):\n%s", diff)
	}
	if old.isClosed() {
		t.Fatal("the old destination was closed while its attempt was in flight")
	}
	close(old.gate)
	waitFor(t, "the old destination to be closed", old.isClosed)
	if diff := cmp.Diff(ids, old.received()); diff != "" {
		t.Errorf("old destination got (-want +got):\n%s", diff)
	}
	if old.activeAtClose != 0 {
		t.Errorf("old destination closed with %d attempts running", old.activeAtClose)
	}
	w.busy.Wait()
	for _, id := range append(ids, id3) {
		if d := st.delivery(id); d.State != event.Succeeded || d.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts, want succeeded after 1", id, d.State, d.Attempts)
		}
	}
}

// Deliveries held while a destination was paused are given back, due at
// once, when its pool is replaced, and the new pool delivers them.
func TestSetTargetsReleasesHeldDeliveries(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	old, repl := newNamedDest("old", false), newNamedDest("new", false)
	// A paused destination is leased nothing, even when another has room:
	// its delivery stays in the store, not held by the worker.
	other := Target{Destination: newNamedDest("other", false)}
	w := newWorker(t, st, clk, map[string]Target{"app": {Destination: old, Paused: true}, "other": other})
	id := st.add(testEvent("ev1", t0), "app")[0]
	round(t, w)
	if d := st.delivery(id); d.Lease != "" {
		t.Fatalf("delivery %+v leased while its destination is paused", d)
	}
	if err := w.SetTargets(map[string]Target{"app": {Destination: repl}, "other": other}); err != nil {
		t.Fatalf("SetTargets: %v", err)
	}
	round(t, w)
	if diff := cmp.Diff([]string{id}, repl.received()); diff != "" {
		t.Errorf("new destination got (-want +got):\n%s", diff)
	}
	if got := old.received(); len(got) != 0 {
		t.Errorf("the paused destination got %v", got)
	}
}

// An invalid target changes nothing; after Stop, SetTargets refuses.
func TestSetTargetsRefuses(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	a := newNamedDest("a", false)
	w := newWorker(t, st, clk, map[string]Target{"a": {Destination: a}})
	before := w.current()
	bad := []map[string]Target{
		{"a": {Destination: a}, "b": {}},
		{"a": {Destination: newNamedDest("a2", false), Timeout: time.Hour}},
		{"a": {Destination: a, Concurrency: -1}},
	}
	for i, targets := range bad {
		if err := w.SetTargets(targets); err == nil {
			t.Errorf("SetTargets(bad[%d]) succeeded, want an error", i)
		}
		if diff := cmp.Diff(before, w.current(), cmp.Comparer(func(x, y *pool) bool { return x == y })); diff != "" {
			t.Errorf("SetTargets(bad[%d]) changed the pools (-before +after):\n%s", i, diff)
		}
	}
	if a.isClosed() {
		t.Error("a refused SetTargets closed a destination in use")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.SetTargets(map[string]Target{}); !errors.Is(err, ErrStopped) {
		t.Errorf("SetTargets after Stop = %v, want ErrStopped", err)
	}
}

// With the lease loop running and deliveries arriving all the time, the
// destination is swapped back and forth: every delivery is attempted
// exactly once and succeeds, none is left behind. Run with -race.
func TestSetTargetsUnderLoad(t *testing.T) {
	t.Parallel()
	st := newFakeStore()
	clk := newClock()
	dests := []*namedDest{newNamedDest("x", false), newNamedDest("y", false)}
	w, err := New(Config{
		Store: st, Targets: map[string]Target{"app": {Destination: dests[0], Concurrency: 4}},
		Poll: 5 * time.Millisecond, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	const total = 400
	var ids []string
	added := make(chan struct{})
	go func() {
		defer close(added)
		for i := range total {
			ids = append(ids, st.add(testEvent(fmt.Sprintf("ev%03d", i), t0), "app")...)
			w.Notify()
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	swaps := 0
	for done := false; !done; swaps++ {
		select {
		case <-added:
			done = true
		default:
		}
		if err := w.SetTargets(map[string]Target{"app": {Destination: dests[(swaps+1)%2], Concurrency: 4}}); err != nil {
			t.Fatalf("SetTargets: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	allDone := func() bool {
		for _, id := range ids {
			if st.delivery(id).State != event.Succeeded {
				return false
			}
		}
		return true
	}
	waitFor(t, "every delivery to succeed", allDone)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, d := range dests {
		for _, id := range d.received() {
			seen[id]++
		}
	}
	for _, id := range ids {
		if d := st.delivery(id); d.Attempts != 1 || seen[id] != 1 {
			t.Errorf("%s: %d attempts, sent %d times; want 1 and 1", id, d.Attempts, seen[id])
		}
	}
	if len(st.problems) > 0 {
		t.Errorf("store contract violations: %v", st.problems)
	}
	t.Logf("%d swaps while %d deliveries went out", swaps, total)
}

// A backlog to one destination is leased only as far as that destination
// has room: none of it sits parked in the worker until its lease expires,
// and it does not hold back a later delivery to another destination. (With
// one lease across destinations, the other destination's room brought in
// the backlog's oldest, which were parked for the whole lease.)
func TestBacklogLeasedAsFarAsItsRoom(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	slow, fast := newNamedDest("slow", true), newNamedDest("fast", false)
	w := newWorker(t, st, clk, map[string]Target{
		"slow": {Destination: slow, Concurrency: 1},
		"fast": {Destination: fast},
	})
	backlog := addMany(st, "ev", 20, t0, "slow")
	late := st.add(testEvent("late", t0.Add(time.Second)), "fast")[0]
	clk.Advance(time.Second)
	if _, err := w.runOnce(t.Context()); err != nil {
		t.Fatalf("runOnce: %v", err)
	}
	waitFor(t, "the later delivery to the other destination", func() bool { return len(fast.received()) == 1 })
	if got := fast.received(); got[0] != late {
		t.Errorf("the other destination got %v, want %s", got, late)
	}
	waitFor(t, "the slow destination's attempt", func() bool { return slow.entered.Load() == 1 })
	leased := 0
	for _, id := range backlog {
		if st.delivery(id).Lease != "" {
			leased++
		}
	}
	w.mu.Lock()
	parked := len(w.parked)
	w.mu.Unlock()
	if leased != 1 || parked != 0 {
		t.Errorf("%d of the backlog leased, %d parked; want 1 (its room: concurrency 1, queue 1, one taken) and none", leased, parked)
	}
	close(slow.gate)
	for range 40 {
		if _, err := w.runOnce(t.Context()); err != nil {
			t.Fatalf("runOnce: %v", err)
		}
		w.busy.Wait()
		if len(slow.received()) == len(backlog) {
			break
		}
	}
	if got := len(slow.received()); got != len(backlog) {
		t.Errorf("the slow destination got %d of its %d, want all, without waiting for leases to expire", got, len(backlog))
	}
}
