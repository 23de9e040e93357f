package storetest

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// adminTests are the Admin part of the suite, run by Run.
var adminTests = []struct {
	name string
	test func(t *testing.T, s store.Store)
}{
	{"RetryFreshBudget", testRetryFreshBudget},
	{"RetryDeadFilter", testRetryDeadFilter},
	{"RetryDeadChunks", testRetryDeadChunks},
	{"Discard", testDiscard},
	{"Replay", testReplay},
	{"ReplayKeepsRoute", testReplayKeepsRoute},
	{"ReplayMatching", testReplayMatching},
	{"AttemptRecord", testAttemptRecord},
	{"AdminCanceledAndClosed", testAdminCanceledAndClosed},
}

// leaseJust leases d at at. Other deliveries due then are given back, due
// at at.
func leaseJust(t *testing.T, s store.Store, at time.Time, d event.Delivery) event.Delivery {
	t.Helper()
	var held event.Delivery
	others := map[string]string{}
	for _, l := range lease(t, s, at, 1000, time.Minute) {
		if l.ID == d.ID {
			held = l
		} else {
			others[l.ID] = l.Lease
		}
	}
	if held.ID == "" {
		t.Fatalf("Lease at %v: %s is not due", at, d.ID)
	}
	if err := s.Release(t.Context(), at, others); err != nil {
		t.Fatalf("Release: %v", err)
	}
	return held
}

// kill leases d at at and records one failed attempt that makes it dead.
func kill(t *testing.T, s store.Store, d event.Delivery, at time.Time) {
	t.Helper()
	held := leaseJust(t, s, at, d)
	complete(t, s, store.Outcome{
		DeliveryID: d.ID, Lease: held.Lease, State: event.Dead,
		Attempt: event.Attempt{N: held.Attempts + 1, StartedAt: at, Duration: time.Second, Status: 500, Error: "status 500"},
	})
}

// succeed leases d at at and records a successful attempt.
func succeed(t *testing.T, s store.Store, d event.Delivery, at time.Time) {
	t.Helper()
	held := leaseJust(t, s, at, d)
	complete(t, s, store.Outcome{
		DeliveryID: d.ID, Lease: held.Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: held.Attempts + 1, StartedAt: at, Duration: time.Second, Status: 200},
	})
}

// byDestination returns an event's deliveries by destination; it fails if
// a destination has more than one.
func byDestination(t *testing.T, s store.Store, eventID string) map[string]event.Delivery {
	t.Helper()
	m := map[string]event.Delivery{}
	for _, d := range deliveriesOf(t, s, eventID) {
		if _, dup := m[d.Destination]; dup {
			t.Fatalf("event %s has two deliveries to %s", eventID, d.Destination)
		}
		m[d.Destination] = d
	}
	return m
}

// A retried delivery keeps its attempts and their numbering, and starts a
// fresh budget: AttemptBase is its attempt count, RetriedAt the retry.
func testRetryFreshBudget(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	kill(t, s, d, t0)
	first := t0.Add(time.Hour)
	if err := s.Retry(t.Context(), d.ID, first); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	got := getDelivery(t, s, d.ID)
	if got.State != event.Pending || got.Attempts != 1 || got.AttemptBase != 1 || !got.RetriedAt.Equal(first) {
		t.Fatalf("after Retry: %+v, want pending, 1 attempt, base 1, retried at %v", got, first)
	}
	kill(t, s, got, first) // attempt 2
	second := t0.Add(2 * time.Hour)
	c, err := s.RetryDead(t.Context(), store.DeadFilter{EventID: d.EventID}, second)
	if err != nil || c.N != 1 || c.Last != d.ID {
		t.Fatalf("RetryDead = %+v, %v; want the one delivery", c, err)
	}
	got = getDelivery(t, s, d.ID)
	want := d
	want.Attempts, want.AttemptBase, want.RetriedAt = 2, 2, second
	want.NextAt, want.UpdatedAt, want.LastError = second, second, "status 500"
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("after RetryDead (-want +got):\n%s", diff)
	}
	var ns []int
	for _, a := range attempts(t, s, d.ID) {
		ns = append(ns, a.N)
	}
	if diff := cmp.Diff([]int{1, 2}, ns); diff != "" {
		t.Errorf("attempt numbers (-want +got):\n%s", diff)
	}
}

// deadSet makes, in order of id: A (github, t0) to a and b, B (stripe,
// t0+1h) to a, all dead; C (github, t0+2h) to a, pending; D (github,
// t0+3h) to b, succeeded. It returns the dead deliveries and the others.
func deadSet(t *testing.T, s store.Store) (dead map[string]event.Delivery, alive []event.Delivery) {
	t.Helper()
	add := func(source string, at time.Time, dests ...string) *event.Event {
		ev := newEvent(source, at)
		ingest(t, s, ev, dests...)
		return ev
	}
	a := add("github", t0, "a", "b")
	b := add("stripe", t0.Add(time.Hour), "a")
	c := add("github", t0.Add(2*time.Hour), "a")
	d := add("github", t0.Add(3*time.Hour), "b")
	dead = map[string]event.Delivery{}
	// In time order: leaseJust gives back what else is due, due later.
	for _, e := range []struct {
		name string
		ev   *event.Event
	}{{"A", a}, {"B", b}} {
		name, ev := e.name, e.ev
		for dest, dl := range byDestination(t, s, ev.ID) {
			kill(t, s, dl, ev.ReceivedAt)
			dead[name+"."+dest] = getDelivery(t, s, dl.ID)
		}
	}
	succeed(t, s, deliveriesOf(t, s, d.ID)[0], d.ReceivedAt)
	return dead, []event.Delivery{deliveriesOf(t, s, c.ID)[0], deliveriesOf(t, s, d.ID)[0]}
}

func testRetryDeadFilter(t *testing.T, s store.Store) {
	dead, alive := deadSet(t, s)
	tests := []struct {
		name string
		f    store.DeadFilter
		want []string // keys of dead
	}{
		{"all", store.DeadFilter{}, []string{"A.a", "A.b", "B.a"}},
		{"destination", store.DeadFilter{Destination: "a"}, []string{"A.a", "B.a"}},
		{"source", store.DeadFilter{Source: "github"}, []string{"A.a", "A.b"}},
		{"since", store.DeadFilter{Since: t0.Add(30 * time.Minute)}, []string{"B.a"}},
		{"until", store.DeadFilter{Until: t0.Add(time.Hour)}, []string{"A.a", "A.b"}},
		{"since is inclusive", store.DeadFilter{Since: t0.Add(time.Hour), Until: t0.Add(time.Hour + 1)}, []string{"B.a"}},
		{"event", store.DeadFilter{EventID: dead["B.a"].EventID}, []string{"B.a"}},
		{"nothing", store.DeadFilter{Source: "stripe", Destination: "b"}, nil},
	}
	for _, tt := range tests {
		n, err := s.CountDead(t.Context(), tt.f)
		if err != nil || n != len(tt.want) {
			t.Errorf("%s: CountDead = %d, %v; want %d", tt.name, n, err, len(tt.want))
		}
	}

	// Retry one filter's match; the rest stays dead.
	now := t0.Add(24 * time.Hour)
	c, err := s.RetryDead(t.Context(), store.DeadFilter{Source: "github", Destination: "b"}, now)
	if err != nil || c.N != 1 || c.Last != dead["A.b"].ID {
		t.Fatalf("RetryDead(github, b) = %+v, %v; want A.b", c, err)
	}
	for key, d := range dead {
		got := getDelivery(t, s, d.ID)
		if key == "A.b" {
			want := d
			want.State, want.NextAt, want.UpdatedAt, want.AttemptBase, want.RetriedAt = event.Pending, now, now, 1, now
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("retried %s (-want +got):\n%s", key, diff)
			}
		} else if !cmp.Equal(d, got, opts) {
			t.Errorf("%s changed: %+v, want %+v", key, got, d)
		}
	}
	for _, d := range alive {
		if got := getDelivery(t, s, d.ID); !cmp.Equal(d, got, opts) {
			t.Errorf("a delivery that was not dead changed: %+v, want %+v", got, d)
		}
	}
	if n, err := s.CountDead(t.Context(), store.DeadFilter{}); err != nil || n != 2 {
		t.Errorf("CountDead after the retry = %d, %v; want 2", n, err)
	}
	// Due now: the retried delivery and the one that was pending anyway.
	due := ids(lease(t, s, now, 10, time.Minute))
	slices.Sort(due)
	want := []string{dead["A.b"].ID, alive[0].ID}
	slices.Sort(want)
	if diff := cmp.Diff(want, due); diff != "" {
		t.Errorf("Lease after the retry (-want +got):\n%s", diff)
	}
}

// A bulk retry in chunks visits each dead delivery once, in id order, even
// when one dies again meanwhile.
func testRetryDeadChunks(t *testing.T, s store.Store) {
	var all []string
	for i := range 5 {
		d := ingestOne(t, s, t0.Add(time.Duration(i)*time.Second))
		kill(t, s, d, t0.Add(time.Minute))
		all = append(all, d.ID)
	}
	slices.Sort(all)
	now := t0.Add(time.Hour)
	var got []string
	f := store.DeadFilter{Limit: 2}
	for range 10 {
		c, err := s.RetryDead(t.Context(), f, now)
		if err != nil {
			t.Fatalf("RetryDead(%+v): %v", f, err)
		}
		if c.N == 0 {
			if c.Last != "" {
				t.Errorf("an empty chunk's Last = %q, want empty", c.Last)
			}
			break
		}
		if c.N > 2 {
			t.Fatalf("chunk of %d, want at most 2", c.N)
		}
		got = append(got, all[len(got):len(got)+c.N]...)
		if c.Last != got[len(got)-1] {
			t.Errorf("chunk Last = %s, want %s", c.Last, got[len(got)-1])
		}
		if len(got) == 2 {
			// The first retried delivery dies again: it is behind the
			// cursor and not retried a second time.
			kill(t, s, getDelivery(t, s, all[0]), now)
		}
		f.After = c.Last
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("deliveries retried (-want +got):\n%s", diff)
	}
	if d := getDelivery(t, s, all[0]); d.State != event.Dead || d.Attempts != 2 {
		t.Errorf("the delivery that died again: %+v, want dead after 2 attempts", d)
	}
	if n, err := s.CountDead(t.Context(), store.DeadFilter{After: all[0]}); err != nil || n != 0 {
		t.Errorf("CountDead after %s = %d, %v; want 0", all[0], n, err)
	}
}

func testDiscard(t *testing.T, s store.Store) {
	ctx := t.Context()
	dead := ingestOne(t, s, t0)
	kill(t, s, dead, t0)
	leased := ingestOne(t, s, t0)
	held := leaseOnly(t, s, t0.Add(time.Second), leased.ID)
	done := ingestOne(t, s, t0)
	succeed(t, s, done, t0.Add(2*time.Second))

	now := t0.Add(time.Hour)
	for _, id := range []string{dead.ID, leased.ID} {
		if err := s.Discard(ctx, id, now); err != nil {
			t.Fatalf("Discard(%s): %v", id, err)
		}
		got := getDelivery(t, s, id)
		if got.State != event.Discarded || got.Lease != "" || !got.UpdatedAt.Equal(now) {
			t.Errorf("after Discard: %+v, want discarded, no lease, updated at %v", got, now)
		}
	}
	if as := attempts(t, s, dead.ID); len(as) != 1 {
		t.Errorf("a discarded delivery's attempts = %+v, want its one attempt kept", as)
	}
	// The attempt that was in flight when it was discarded is not recorded.
	complete(t, s, store.Outcome{DeliveryID: leased.ID, Lease: held.Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: now, Status: 200}})
	if got := getDelivery(t, s, leased.ID); got.State != event.Discarded || got.Attempts != 0 {
		t.Errorf("after a stale Complete: %+v, want still discarded, no attempts", got)
	}
	if got := lease(t, s, now.Add(48*time.Hour), 10, time.Minute); len(got) != 0 {
		t.Errorf("Lease = %v, want nothing: discarded deliveries are never due", ids(got))
	}
	ds, err := s.Deliveries(ctx, store.DeliveryFilter{State: event.Discarded})
	if err != nil || len(ds) != 2 {
		t.Errorf("Deliveries(discarded) = %v, %v; want 2", ids(ds), err)
	}
	wantErr(t, "Discard of a succeeded delivery", s.Discard(ctx, done.ID, now), store.ErrNotFound)
	wantErr(t, "Discard again", s.Discard(ctx, dead.ID, now), store.ErrNotFound)
	wantErr(t, "Discard of an unknown delivery", s.Discard(ctx, event.NewID(), now), store.ErrNotFound)
	wantErr(t, "Retry of a discarded delivery", s.Retry(ctx, dead.ID, now), store.ErrNotFound)
	if n, err := s.CountDead(ctx, store.DeadFilter{}); err != nil || n != 0 {
		t.Errorf("CountDead = %d, %v; want 0 (discarded is not dead)", n, err)
	}
}

func testReplay(t *testing.T, s store.Store) {
	ctx := t.Context()
	ev := newEvent("github", t0)
	ingest(t, s, ev, "b", "a")
	old := byDestination(t, s, ev.ID)
	succeed(t, s, old["a"], t0)
	kill(t, s, old["b"], t0)
	before := deliveriesOf(t, s, ev.ID)

	now := t0.Add(time.Hour)
	got, err := s.Replay(ctx, ev.ID, nil, now)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	var dests []string
	for _, d := range got {
		dests = append(dests, d.Destination)
		if d.ID == old[d.Destination].ID || d.EventID != ev.ID || d.State != event.Pending || d.Attempts != 0 ||
			!d.NextAt.Equal(now) || !d.CreatedAt.Equal(now) || !d.UpdatedAt.Equal(now) {
			t.Errorf("replayed delivery %+v, want a new pending one due and created at %v", d, now)
		}
		if stored := getDelivery(t, s, d.ID); !cmp.Equal(stored, d, opts) {
			t.Errorf("stored %+v, Replay returned %+v", stored, d)
		}
	}
	if diff := cmp.Diff([]string{"a", "b"}, dests); diff != "" {
		t.Errorf("Replay to the event's destinations, by name (-want +got):\n%s", diff)
	}
	for _, d := range before {
		if after := getDelivery(t, s, d.ID); !cmp.Equal(after, d, opts) {
			t.Errorf("an earlier delivery changed: %+v, want %+v", after, d)
		}
	}

	more, err := s.Replay(ctx, ev.ID, []string{"c", "a"}, now)
	if err != nil || len(more) != 2 || more[0].Destination != "c" || more[1].Destination != "a" {
		t.Fatalf("Replay(c, a) = %+v, %v; want new deliveries to c and a, in that order", more, err)
	}
	if n := len(deliveriesOf(t, s, ev.ID)); n != 6 {
		t.Errorf("the event has %d deliveries, want 6", n)
	}
	if due := lease(t, s, now, 10, time.Minute); len(due) != 4 {
		t.Errorf("Lease after the replays = %v, want the 4 new deliveries", ids(due))
	}

	_, err = s.Replay(ctx, event.NewID(), nil, now)
	wantErr(t, "Replay of an unknown event", err, store.ErrNotFound)
	if _, err := s.Replay(ctx, ev.ID, []string{"a", "a"}, now); err == nil {
		t.Error("Replay with a destination listed twice succeeded")
	}
	lonely := newEvent("github", t0)
	ingest(t, s, lonely)
	if ds, err := s.Replay(ctx, lonely.ID, nil, now); err != nil || len(ds) != 0 {
		t.Errorf("Replay of an event without deliveries = %+v, %v; want nothing", ds, err)
	}
}

func testReplayMatching(t *testing.T, s store.Store) {
	ctx := t.Context()
	add := func(source, typ string, at time.Time, dests ...string) *event.Event {
		ev := newEvent(source, at)
		ev.Type = typ
		ingest(t, s, ev, dests...)
		return ev
	}
	e1 := add("github", "push", t0, "a")
	e2 := add("github", "issues", t0.Add(time.Hour), "a", "b")
	e3 := add("stripe", "charge", t0.Add(2*time.Hour), "a")
	e4 := add("github", "push", t0.Add(3*time.Hour))
	counts := []struct {
		f    store.EventFilter
		want int
	}{
		{store.EventFilter{}, 4},
		{store.EventFilter{Source: "github"}, 3},
		{store.EventFilter{Type: "push"}, 2},
		{store.EventFilter{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, 2},
		{store.EventFilter{After: e2.ID}, 2},
		{store.EventFilter{Source: "nope"}, 0},
	}
	for _, tt := range counts {
		if n, err := s.CountEvents(ctx, tt.f); err != nil || n != tt.want {
			t.Errorf("CountEvents(%+v) = %d, %v; want %d", tt.f, n, err, tt.want)
		}
	}

	now := t0.Add(24 * time.Hour)
	f := store.EventFilter{Source: "github", Limit: 2}
	chunks := []store.Chunk{{N: 2, Deliveries: 3, Last: e2.ID}, {N: 1, Deliveries: 0, Last: e4.ID}, {}}
	for i, want := range chunks {
		c, err := s.ReplayMatching(ctx, f, nil, now)
		if err != nil {
			t.Fatalf("ReplayMatching(%+v): %v", f, err)
		}
		if c != want {
			t.Errorf("chunk %d = %+v, want %+v", i, c, want)
		}
		f.After = c.Last
	}
	c, err := s.ReplayMatching(ctx, store.EventFilter{Type: "charge"}, []string{"x"}, now)
	if want := (store.Chunk{N: 1, Deliveries: 1, Last: e3.ID}); err != nil || c != want {
		t.Errorf("ReplayMatching(charge, to x) = %+v, %v; want %+v", c, err, want)
	}
	for _, tt := range []struct {
		ev    *event.Event
		dests []string
	}{{e1, []string{"a", "a"}}, {e2, []string{"a", "a", "b", "b"}}, {e3, []string{"a", "x"}}, {e4, nil}} {
		var dests []string
		for _, d := range deliveriesOf(t, s, tt.ev.ID) {
			dests = append(dests, d.Destination)
		}
		slices.Sort(dests)
		if diff := cmp.Diff(tt.dests, dests); diff != "" {
			t.Errorf("deliveries of event %s (-want +got):\n%s", tt.ev.ID, diff)
		}
	}
}

// What an attempt sent and got back round-trips.
func testAttemptRecord(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	held := leaseOnly(t, s, t0, d.ID)
	a := event.Attempt{
		ID: event.NewID(), N: 1, StartedAt: t0, Duration: 42 * time.Millisecond, Status: 503,
		Response: []byte("busy"), Outcome: event.Pending,
		Request: event.Request{
			Method: "POST", URL: "https://app.example.com/hooks?token=REDACTED",
			Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"REDACTED"}, "X-Two": {"1", "2"}},
		},
		ResponseHeader: http.Header{"Retry-After": {"30"}, "Content-Type": {"text/plain"}},
	}
	complete(t, s, store.Outcome{DeliveryID: d.ID, Lease: held.Lease, State: event.Pending, NextAt: t0.Add(time.Minute), Attempt: a})
	held = leaseOnly(t, s, t0.Add(time.Minute), d.ID)
	bare := event.Attempt{ID: event.NewID(), N: 2, StartedAt: t0.Add(time.Minute), Error: "refused", Outcome: event.Dead}
	complete(t, s, store.Outcome{DeliveryID: d.ID, Lease: held.Lease, State: event.Dead, Attempt: bare})

	a.DeliveryID, bare.DeliveryID = d.ID, d.ID
	if diff := cmp.Diff([]event.Attempt{a, bare}, attempts(t, s, d.ID), opts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func testAdminCanceledAndClosed(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	kill(t, s, d, t0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.RetryDead(ctx, store.DeadFilter{}, t0)
	wantErr(t, "RetryDead", err, context.Canceled)
	wantErr(t, "Discard", s.Discard(ctx, d.ID, t0), context.Canceled)
	_, err = s.Replay(ctx, d.EventID, nil, t0)
	wantErr(t, "Replay", err, context.Canceled)
	_, err = s.ReplayMatching(ctx, store.EventFilter{}, nil, t0)
	wantErr(t, "ReplayMatching", err, context.Canceled)
	if got := getDelivery(t, s, d.ID); got.State != event.Dead {
		t.Errorf("after canceled calls: %+v, want still dead", got)
	}
	if n := len(deliveriesOf(t, s, d.EventID)); n != 1 {
		t.Errorf("after canceled replays the event has %d deliveries, want 1", n)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx = t.Context()
	_, err = s.RetryDead(ctx, store.DeadFilter{}, t0)
	wantErr(t, "RetryDead", err, store.ErrClosed)
	_, err = s.CountDead(ctx, store.DeadFilter{})
	wantErr(t, "CountDead", err, store.ErrClosed)
	wantErr(t, "Discard", s.Discard(ctx, d.ID, t0), store.ErrClosed)
	_, err = s.Replay(ctx, d.EventID, nil, t0)
	wantErr(t, "Replay", err, store.ErrClosed)
	_, err = s.ReplayMatching(ctx, store.EventFilter{}, nil, t0)
	wantErr(t, "ReplayMatching", err, store.ErrClosed)
	_, err = s.CountEvents(ctx, store.EventFilter{})
	wantErr(t, "CountEvents", err, store.ErrClosed)
}

// A replay sends what the route gave the event's delivery to the same
// destination: its ordering key, body and headers. A destination the event
// never went to gets the event as it is.
func testReplayKeepsRoute(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	ds := ingestRoutes(t, s, ev, store.Route{
		Destination: "a", OrderingKey: "order-7", Body: []byte(`{"slim":true}`), Header: http.Header{"X-Route": {"r1"}},
	})
	kill(t, s, ds[0], t0)
	now := t0.Add(time.Hour)
	got, err := s.Replay(t.Context(), ev.ID, []string{"a", "b"}, now)
	if err != nil || len(got) != 2 {
		t.Fatalf("Replay = %+v, %v; want 2 deliveries", got, err)
	}
	if d := got[0]; d.OrderingKey != "order-7" || string(d.Body) != `{"slim":true}` || d.Header.Get("X-Route") != "r1" {
		t.Errorf("replay to a: %+v, want the route's key, body and headers", d)
	}
	if d := got[1]; d.OrderingKey != "" || d.Body != nil || d.Header != nil {
		t.Errorf("replay to b: %+v, want the event as it is", d)
	}
	for _, d := range got {
		if stored := getDelivery(t, s, d.ID); !cmp.Equal(stored, d, opts) {
			t.Errorf("stored %+v, Replay returned %+v", stored, d)
		}
	}
}
