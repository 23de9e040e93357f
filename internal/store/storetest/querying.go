package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// queryTests are the Query part of the suite, run by Run.
var queryTests = []struct {
	name string
	test func(t *testing.T, s store.Store)
}{
	{"EventsFilters", testEventsFilters},
	{"EventsSummary", testEventsSummary},
	{"EventsCursor", testEventsCursor},
	{"EventsPageSize", testEventsPageSize},
	{"SourceStats", testSourceStats},
	{"DestinationStats", testDestinationStats},
	{"Purge", testPurge},
	{"PurgeRejections", testPurgeRejections},
	{"QueryCanceledAndClosed", testQueryCanceledAndClosed},
}

// listEvents runs Events and returns the ids, failing the test on an error.
func listEvents(t *testing.T, s store.Store, q store.EventQuery) []string {
	t.Helper()
	got, err := s.Events(t.Context(), q)
	if err != nil {
		t.Fatalf("Events(%+v): %v", q, err)
	}
	out := make([]string, len(got))
	for i, e := range got {
		out[i] = e.ID
	}
	return out
}

// newestFirst returns the ids of evs, newest (greatest id) first.
func newestFirst(evs ...*event.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

func testEventsFilters(t *testing.T, s store.Store) {
	// push: github, succeeded; issues: github, dead; charge: stripe, one
	// pending and one succeeded delivery; ping: stripe, no deliveries.
	push := newEvent("github", t0.Add(-3*time.Hour))
	push.Type, push.Body = "push", []byte(`{"ref":"refs/heads/main","note":"needle"}`)
	ingest(t, s, push, "app")
	succeed(t, s, deliveriesOf(t, s, push.ID)[0], t0.Add(-3*time.Hour))

	issues := newEvent("github", t0.Add(-2*time.Hour))
	issues.Type, issues.Body = "issues", []byte("binary \x00\xff needle\x00")
	ingest(t, s, issues, "app")
	kill(t, s, deliveriesOf(t, s, issues.ID)[0], t0.Add(-2*time.Hour))

	charge := newEvent("stripe", t0.Add(-time.Hour))
	charge.Type = "charge"
	ingest(t, s, charge, "app", "audit")
	succeed(t, s, byDestination(t, s, charge.ID)["audit"], t0.Add(-time.Hour))

	ping := newEvent("stripe", t0)
	ping.Type, ping.Body = "push", []byte(`{"Needle":true}`)
	ingest(t, s, ping)

	all := newestFirst(push, issues, charge, ping)
	tests := []struct {
		name string
		q    store.EventQuery
		want []string
	}{
		{"all", store.EventQuery{}, all},
		{"source", store.EventQuery{Source: "github"}, newestFirst(push, issues)},
		{"type", store.EventQuery{Type: "push"}, newestFirst(push, ping)},
		{"source and type", store.EventQuery{Source: "stripe", Type: "push"}, newestFirst(ping)},
		{"unknown source", store.EventQuery{Source: "gitlab"}, nil},
		{"since", store.EventQuery{Since: t0.Add(-2 * time.Hour)}, newestFirst(issues, charge, ping)},
		{"until", store.EventQuery{Until: t0.Add(-2 * time.Hour)}, newestFirst(push)},
		{"since and until", store.EventQuery{Since: t0.Add(-2 * time.Hour), Until: t0}, newestFirst(issues, charge)},
		{"state pending", store.EventQuery{State: event.Pending}, newestFirst(charge)},
		{"state dead", store.EventQuery{State: event.Dead}, newestFirst(issues)},
		{"state succeeded", store.EventQuery{State: event.Succeeded}, newestFirst(push, charge)},
		{"state discarded", store.EventQuery{State: event.Discarded}, nil},
		{"state and source", store.EventQuery{State: event.Succeeded, Source: "stripe"}, newestFirst(charge)},
		{"text", store.EventQuery{Text: "needle"}, newestFirst(push, issues)},
		{"text is case-sensitive", store.EventQuery{Text: "Needle"}, newestFirst(ping)},
		{"text matches bytes", store.EventQuery{Text: "\x00\xff"}, newestFirst(issues)},
		{"text and source", store.EventQuery{Text: "needle", Source: "github", Type: "push"}, newestFirst(push)},
		{"text not found", store.EventQuery{Text: "haystack"}, nil},
		{"before", store.EventQuery{Before: all[1]}, all[2:]},
		{"before and state", store.EventQuery{Before: all[0], State: event.Pending}, newestFirst(charge)},
		{"before all", store.EventQuery{Before: all[3]}, nil},
		{"limit", store.EventQuery{Limit: 2}, all[:2]},
	}
	for _, tt := range tests {
		got := listEvents(t, s, tt.q)
		if diff := cmp.Diff(tt.want, got, opts); diff != "" {
			t.Errorf("%s: Events(%+v) (-want +got):\n%s", tt.name, tt.q, diff)
		}
	}
	if _, err := s.Events(t.Context(), store.EventQuery{State: "lost"}); err == nil {
		t.Errorf("Events with state %q: no error", "lost")
	}
}

// A summary carries the event's fields but its body and headers, the body's
// size, and its deliveries counted by state.
func testEventsSummary(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	ev.Type, ev.DeliveryID, ev.Method = "push", "72d3162e", "PUT"
	ingest(t, s, ev, "a", "b", "c", "d")
	ds := byDestination(t, s, ev.ID)
	succeed(t, s, ds["a"], t0)
	kill(t, s, ds["b"], t0)
	if err := s.Discard(t.Context(), ds["c"].ID, t0); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	if _, err := s.Replay(t.Context(), ev.ID, []string{"a"}, t0); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	bare := newEvent("x", t0)
	bare.Body = []byte{}
	ingest(t, s, bare)

	got, err := s.Events(t.Context(), store.EventQuery{})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	want := []store.EventSummary{
		{ID: bare.ID, Source: "x", Method: "POST", ReceivedAt: t0, Size: 0},
		{
			ID: ev.ID, Source: "github", Type: "push", DeliveryID: "72d3162e", Method: "PUT",
			ReceivedAt: t0, Size: len(ev.Body),
			Deliveries: map[event.State]int{event.Succeeded: 1, event.Dead: 1, event.Discarded: 1, event.Pending: 2},
		},
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
}

// Paging with Before = the last id of each page visits every matching
// event once, newest first, also under a filter.
func testEventsCursor(t *testing.T, s store.Store) {
	var evs, github []*event.Event
	for i := range 23 {
		source := "stripe"
		if i%3 == 0 {
			source = "github"
		}
		ev := newEvent(source, t0.Add(time.Duration(i)*time.Second))
		ingest(t, s, ev, "app")
		evs = append(evs, ev)
		if source == "github" {
			github = append(github, ev)
		}
	}
	tests := []struct {
		name string
		q    store.EventQuery
		want []string
	}{
		{"all", store.EventQuery{Limit: 5}, newestFirst(evs...)},
		{"source", store.EventQuery{Source: "github", Limit: 3}, newestFirst(github...)},
		{"state", store.EventQuery{State: event.Pending, Limit: 4}, newestFirst(evs...)},
		{"text", store.EventQuery{Text: "world", Limit: 7}, newestFirst(evs...)},
	}
	for _, tt := range tests {
		var got []string
		q := tt.q
		for pages := 0; ; pages++ {
			if pages > len(evs) {
				t.Fatalf("%s: paging does not end", tt.name)
			}
			page := listEvents(t, s, q)
			if len(page) > q.Limit {
				t.Errorf("%s: page of %d, over the limit %d", tt.name, len(page), q.Limit)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			q.Before = page[len(page)-1]
		}
		if diff := cmp.Diff(tt.want, got, opts); diff != "" {
			t.Errorf("%s: pages (-want +got):\n%s", tt.name, diff)
		}
	}
}

// Limit 0 lists 50 events, and no page is longer than 500.
func testEventsPageSize(t *testing.T, s store.Store) {
	const n = 510
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				if _, err := s.Ingest(t.Context(), newEvent("github", t0), nil); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Ingest: %v", err)
	}
	for _, tt := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {7, 7}, {500, 500}, {10_000, 500}} {
		if got := len(listEvents(t, s, store.EventQuery{Limit: tt.limit})); got != tt.want {
			t.Errorf("Events(Limit %d) = %d events, want %d", tt.limit, got, tt.want)
		}
	}
}

func testSourceStats(t *testing.T, s store.Store) {
	for _, at := range []time.Duration{-3 * time.Hour, -time.Hour, 0} {
		ingest(t, s, newEvent("github", t0.Add(at)), "app")
	}
	ingest(t, s, newEvent("stripe", t0.Add(-5*time.Hour)))
	reject := func(source string, at time.Time, reason string) event.Rejection {
		t.Helper()
		r := event.Rejection{ID: event.NewID(), Source: source, ReceivedAt: at, Status: 401, Reason: reason, RemoteAddr: "192.0.2.7:4711"}
		if err := s.Reject(t.Context(), r); err != nil {
			t.Fatalf("Reject: %v", err)
		}
		return r
	}
	reject("github", t0.Add(-4*time.Hour), "old")
	lastGitHub := reject("github", t0.Add(-30*time.Minute), "signature mismatch")
	reject("x", t0.Add(-2*time.Hour), "first")
	lastX := reject("x", t0.Add(-90*time.Minute), "timestamp too old")

	tests := []struct {
		since time.Time
		want  []store.SourceStats
	}{
		{t0.Add(-2 * time.Hour), []store.SourceStats{
			{Source: "github", Events: 2, LastEventAt: t0, Rejections: 1, LastRejection: &lastGitHub},
			{Source: "stripe", Events: 0, LastEventAt: t0.Add(-5 * time.Hour)},
			{Source: "x", Rejections: 2, LastRejection: &lastX},
		}},
		{time.Time{}, []store.SourceStats{
			{Source: "github", Events: 3, LastEventAt: t0, Rejections: 2, LastRejection: &lastGitHub},
			{Source: "stripe", Events: 1, LastEventAt: t0.Add(-5 * time.Hour)},
			{Source: "x", Rejections: 2, LastRejection: &lastX},
		}},
		{t0.Add(time.Hour), []store.SourceStats{
			{Source: "github", LastEventAt: t0, LastRejection: &lastGitHub},
			{Source: "stripe", LastEventAt: t0.Add(-5 * time.Hour)},
			{Source: "x", LastRejection: &lastX},
		}},
	}
	for _, tt := range tests {
		got, err := s.SourceStats(t.Context(), tt.since)
		if err != nil {
			t.Fatalf("SourceStats(%v): %v", tt.since, err)
		}
		if diff := cmp.Diff(tt.want, got, opts); diff != "" {
			t.Errorf("SourceStats(%v) (-want +got):\n%s", tt.since, diff)
		}
	}
}

func testDestinationStats(t *testing.T, s store.Store) {
	if got, err := s.DestinationStats(t.Context(), t0); err != nil || len(got) != 0 {
		t.Fatalf("DestinationStats of an empty store = %+v, %v; want none", got, err)
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	one := func(ev *event.Event) event.Delivery { return deliveriesOf(t, s, ev.ID)[0] }

	// a1 succeeds; a2 dies and b2 succeeds; a3 waits for a retry at t0+1h.
	ev1 := newEvent("src", at(-5*time.Hour))
	ingest(t, s, ev1, "a")
	succeed(t, s, one(ev1), at(-5*time.Hour))
	ev2 := newEvent("src", at(-4*time.Hour))
	ingest(t, s, ev2, "a", "b")
	ds2 := byDestination(t, s, ev2.ID)
	kill(t, s, ds2["a"], at(-4*time.Hour))
	// a1's outcome leaves Destination empty, b2's names it (as the worker
	// does): an engine must get the last success right either way.
	heldB := leaseJust(t, s, at(-4*time.Hour), ds2["b"])
	complete(t, s, store.Outcome{
		DeliveryID: heldB.ID, Lease: heldB.Lease, Destination: "b", State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: at(-4 * time.Hour), Duration: time.Second, Status: 200},
	})
	ev3 := newEvent("src", at(-3*time.Hour))
	ingest(t, s, ev3, "a")
	a3 := leaseOnly(t, s, at(-3*time.Hour), one(ev3).ID)
	complete(t, s, store.Outcome{
		DeliveryID: a3.ID, Lease: a3.Lease, State: event.Pending, NextAt: at(time.Hour),
		Attempt: event.Attempt{N: 1, StartedAt: at(-3 * time.Hour), Status: 503},
	})
	// a4's lease ends at t0-30m, unless renewed: then it is due again. a5
	// is leased until t0+1h. a6 is due at t0-10m, never leased.
	ev4 := newEvent("src", at(-2*time.Hour))
	ingest(t, s, ev4, "a")
	if got := lease(t, s, at(-2*time.Hour), 10, 90*time.Minute); len(got) != 1 || got[0].ID != one(ev4).ID {
		t.Fatalf("Lease at t0-2h = %v, want only %s", ids(got), one(ev4).ID)
	}
	ev5 := newEvent("src", at(-time.Hour))
	ingest(t, s, ev5, "a")
	if got := lease(t, s, at(-time.Hour), 10, 2*time.Hour); len(got) != 1 || got[0].ID != one(ev5).ID {
		t.Fatalf("Lease at t0-1h = %v, want only %s", ids(got), one(ev5).ID)
	}
	ev6 := newEvent("src", at(-10*time.Minute))
	ingest(t, s, ev6, "a")

	lastA := getDelivery(t, s, one(ev1).ID).UpdatedAt
	lastB := getDelivery(t, s, ds2["b"].ID).UpdatedAt
	if lastA.IsZero() || lastB.IsZero() {
		t.Fatalf("succeeded deliveries have no UpdatedAt: %v, %v", lastA, lastB)
	}
	b := store.DestinationStats{Destination: "b", LastSuccessAt: lastB}
	tests := []struct {
		name string
		now  time.Time
		want []store.DestinationStats
	}{
		{"before a6 is due", at(-20 * time.Minute), []store.DestinationStats{
			{Destination: "a", Pending: 4, Due: 1, OldestDue: at(-30 * time.Minute), Dead: 1, LastSuccessAt: lastA}, b,
		}},
		{"now", t0, []store.DestinationStats{
			{Destination: "a", Pending: 4, Due: 2, OldestDue: at(-30 * time.Minute), Dead: 1, LastSuccessAt: lastA}, b,
		}},
		{"when the retry and the lease are due", at(time.Hour), []store.DestinationStats{
			{Destination: "a", Pending: 4, Due: 4, OldestDue: at(-30 * time.Minute), Dead: 1, LastSuccessAt: lastA}, b,
		}},
		{"before the expired lease", at(-40 * time.Minute), []store.DestinationStats{
			{Destination: "a", Pending: 4, Dead: 1, LastSuccessAt: lastA}, b,
		}},
	}
	for _, tt := range tests {
		got, err := s.DestinationStats(t.Context(), tt.now)
		if err != nil {
			t.Fatalf("%s: DestinationStats: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got, opts); diff != "" {
			t.Errorf("%s: DestinationStats(%v) (-want +got):\n%s", tt.name, tt.now, diff)
		}
	}
}

// purge runs Purge and fails unless it removed want events and rejections.
func purge(t *testing.T, s store.Store, r store.Retention, wantEvents, wantRejections int) {
	t.Helper()
	evs, rejs, err := s.Purge(t.Context(), r)
	if err != nil {
		t.Fatalf("Purge(%+v): %v", r, err)
	}
	if evs != wantEvents || rejs != wantRejections {
		t.Errorf("Purge(%+v) = %d events, %d rejections; want %d, %d", r, evs, rejs, wantEvents, wantRejections)
	}
}

// gone fails unless the event and its deliveries (and their attempts) are
// gone.
func gone(t *testing.T, s store.Store, ev *event.Event, ds ...event.Delivery) {
	t.Helper()
	_, err := s.Event(t.Context(), ev.ID)
	wantErr(t, "Event of a purged event", err, store.ErrNotFound)
	if got := deliveriesOf(t, s, ev.ID); len(got) != 0 {
		t.Errorf("purged event %s still has deliveries %v", ev.ID, ids(got))
	}
	for _, d := range ds {
		_, err := s.Attempts(t.Context(), d.ID)
		wantErr(t, "Attempts of a purged delivery", err, store.ErrNotFound)
	}
}

func testPurge(t *testing.T, s store.Store) {
	old := t0.Add(-10 * 24 * time.Hour)
	mk := func(at time.Time, dests ...string) (*event.Event, map[string]event.Delivery) {
		ev := newEvent("github", at)
		ingest(t, s, ev, dests...)
		return ev, byDestination(t, s, ev.ID)
	}
	done, doneDs := mk(old, "a", "b") // both succeeded (b after a retry)
	succeed(t, s, doneDs["a"], old)
	bare, _ := mk(old)                               // no deliveries
	waiting, _ := mk(old, "a")                       // pending
	mixed, mixedDs := mk(old, "a", "b")              // one succeeded, one pending
	dead, deadDs := mk(old, "a", "b")                // one dead, one succeeded
	young, youngDs := mk(t0.Add(-24*time.Hour), "a") // dead, a day old
	fresh, _ := mk(t0.Add(time.Hour))                // after every cutoff
	held := leaseJust(t, s, old, doneDs["b"])
	complete(t, s, store.Outcome{DeliveryID: held.ID, Lease: held.Lease, State: event.Pending, NextAt: old,
		Attempt: event.Attempt{N: 1, StartedAt: old, Status: 503}})
	succeed(t, s, doneDs["b"], old)
	succeed(t, s, mixedDs["a"], old)
	kill(t, s, deadDs["a"], old)
	succeed(t, s, deadDs["b"], old)
	kill(t, s, youngDs["a"], t0.Add(-24*time.Hour))
	if n := len(attempts(t, s, doneDs["b"].ID)); n != 2 {
		t.Fatalf("setup: %d attempts, want 2", n)
	}

	purge(t, s, store.Retention{}, 0, 0)
	// Dead letters go by DeadBefore alone; Before zero keeps the rest.
	purge(t, s, store.Retention{DeadBefore: old}, 0, 0)
	purge(t, s, store.Retention{DeadBefore: t0.Add(-5 * 24 * time.Hour)}, 1, 0)
	gone(t, s, dead, deadDs["a"], deadDs["b"])
	// Before removes finished events, Limit at a time; dead ones stay.
	purge(t, s, store.Retention{Before: t0, Limit: 1}, 1, 0)
	purge(t, s, store.Retention{Before: t0, Limit: 1}, 1, 0)
	purge(t, s, store.Retention{Before: t0, Limit: 1}, 0, 0)
	gone(t, s, done, doneDs["a"], doneDs["b"])
	gone(t, s, bare)
	purge(t, s, store.Retention{Before: t0, DeadBefore: t0.Add(-2 * 24 * time.Hour)}, 0, 0)
	purge(t, s, store.Retention{Before: t0, DeadBefore: t0}, 1, 0)
	gone(t, s, young, youngDs["a"])

	want := newestFirst(waiting, mixed, fresh)
	if diff := cmp.Diff(want, listEvents(t, s, store.EventQuery{}), opts); diff != "" {
		t.Errorf("events left (-want +got):\n%s", diff)
	}
	// What is left still works: the pending deliveries go out.
	if got := len(deliveriesOf(t, s, mixed.ID)); got != 2 {
		t.Errorf("event with a pending delivery has %d deliveries left, want 2", got)
	}
	if got := lease(t, s, t0, 10, time.Minute); len(got) != 2 {
		t.Errorf("Lease after purges = %v, want the 2 pending deliveries", ids(got))
	}
}

func testPurgeRejections(t *testing.T, s store.Store) {
	var rs []event.Rejection
	for i, at := range []time.Duration{-3 * time.Hour, -2 * time.Hour, -time.Hour, time.Hour} {
		r := event.Rejection{ID: event.NewID(), Source: "github", ReceivedAt: t0.Add(at), Status: 401, Reason: fmt.Sprint(i)}
		if err := s.Reject(t.Context(), r); err != nil {
			t.Fatalf("Reject: %v", err)
		}
		rs = append(rs, r)
	}
	ingest(t, s, newEvent("github", t0.Add(-time.Hour)), "app")
	// Events are not touched by RejectionsBefore, nor rejections by Before.
	purge(t, s, store.Retention{Before: t0.Add(-90 * time.Minute)}, 0, 0)
	purge(t, s, store.Retention{RejectionsBefore: t0, Limit: 2}, 0, 2)
	purge(t, s, store.Retention{RejectionsBefore: t0, Limit: 2}, 0, 1)
	purge(t, s, store.Retention{RejectionsBefore: t0, Limit: 2}, 0, 0)
	got, err := s.Rejections(t.Context(), 0)
	if err != nil {
		t.Fatalf("Rejections: %v", err)
	}
	if diff := cmp.Diff([]event.Rejection{rs[3]}, got, opts); diff != "" {
		t.Errorf("rejections left (-want +got):\n%s", diff)
	}
	if n := len(listEvents(t, s, store.EventQuery{})); n != 1 {
		t.Errorf("%d events left, want 1", n)
	}
}

func testQueryCanceledAndClosed(t *testing.T, s store.Store) {
	ev := newEvent("github", t0.Add(-time.Hour))
	ingest(t, s, ev, "app")
	succeed(t, s, deliveriesOf(t, s, ev.ID)[0], t0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Events(ctx, store.EventQuery{})
	wantErr(t, "Events", err, context.Canceled)
	_, err = s.SourceStats(ctx, t0)
	wantErr(t, "SourceStats", err, context.Canceled)
	_, err = s.DestinationStats(ctx, t0)
	wantErr(t, "DestinationStats", err, context.Canceled)
	_, _, err = s.Purge(ctx, store.Retention{Before: t0})
	wantErr(t, "Purge", err, context.Canceled)
	if _, err := s.Event(t.Context(), ev.ID); err != nil {
		t.Errorf("Event after a canceled Purge: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx = t.Context()
	_, err = s.Events(ctx, store.EventQuery{})
	wantErr(t, "Events", err, store.ErrClosed)
	_, err = s.SourceStats(ctx, t0)
	wantErr(t, "SourceStats", err, store.ErrClosed)
	_, err = s.DestinationStats(ctx, t0)
	wantErr(t, "DestinationStats", err, store.ErrClosed)
	_, _, err = s.Purge(ctx, store.Retention{Before: t0})
	wantErr(t, "Purge", err, store.ErrClosed)
}
