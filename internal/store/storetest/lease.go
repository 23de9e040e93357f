package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

func testLeaseOrderAndLimit(t *testing.T, s store.Store) {
	// Ingested out of order; due in order of ReceivedAt.
	offsets := []int{3, 1, 4, 0, 2}
	byOffset := make([]string, len(offsets))
	for _, off := range offsets {
		byOffset[off] = ingestOne(t, s, t0.Add(time.Duration(off)*time.Second)).ID
	}
	now := t0.Add(10 * time.Second)

	first := lease(t, s, now, 3, time.Minute)
	if diff := cmp.Diff(byOffset[:3], ids(first)); diff != "" {
		t.Fatalf("first Lease, oldest due first (-want +got):\n%s", diff)
	}
	for _, d := range first {
		if d.Lease == "" || d.State != event.Pending || !d.NextAt.Equal(now.Add(time.Minute)) {
			t.Errorf("leased %+v, want a lease token, pending, NextAt %v", d, now.Add(time.Minute))
		}
		if stored := getDelivery(t, s, d.ID); !cmp.Equal(stored, d, opts) {
			t.Errorf("stored %+v, Lease returned %+v", stored, d)
		}
	}

	rest := lease(t, s, now, 10, time.Minute)
	if diff := cmp.Diff(byOffset[3:], ids(rest)); diff != "" {
		t.Fatalf("second Lease gets the rest (-want +got):\n%s", diff)
	}
	if again := lease(t, s, now.Add(59*time.Second), 10, time.Minute); len(again) != 0 {
		t.Errorf("Lease while all are held = %v, want none", ids(again))
	}
}

func testLeaseNotDue(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0.Add(time.Hour))
	if got := lease(t, s, t0, 10, time.Minute); len(got) != 0 {
		t.Fatalf("Lease before due = %v, want none", ids(got))
	}
	// Due at exactly NextAt.
	leaseOnly(t, s, t0.Add(time.Hour), d.ID)
}

func testLeaseExpired(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	old := leaseOnly(t, s, t0, d.ID)
	if got := lease(t, s, t0.Add(59*time.Second), 10, time.Minute); len(got) != 0 {
		t.Fatalf("Lease while held = %v, want none", ids(got))
	}
	// The first worker vanished: its lease expires and another takes over.
	taken := leaseOnly(t, s, t0.Add(time.Minute), d.ID)
	if taken.Lease == old.Lease {
		t.Fatalf("took over with the same lease token %q", taken.Lease)
	}
	if want := t0.Add(2 * time.Minute); !taken.NextAt.Equal(want) {
		t.Errorf("NextAt = %v, want %v", taken.NextAt, want)
	}

	// The first worker comes back: its result is ignored.
	complete(t, s, store.Outcome{
		DeliveryID: d.ID, Lease: old.Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: t0, Duration: time.Second, Status: 200},
	})
	if got := getDelivery(t, s, d.ID); !cmp.Equal(got, taken, opts) {
		t.Errorf("after a stale Complete: %+v, want unchanged %+v", got, taken)
	}
	if as := attempts(t, s, d.ID); len(as) != 0 {
		t.Errorf("stale Complete recorded attempts %+v", as)
	}

	complete(t, s, store.Outcome{
		DeliveryID: d.ID, Lease: taken.Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: t0.Add(time.Minute), Duration: time.Second, Status: 200},
	})
	if got := getDelivery(t, s, d.ID); got.State != event.Succeeded || got.Attempts != 1 {
		t.Errorf("after Complete: %+v, want succeeded after 1 attempt", got)
	}
}

func attempts(t *testing.T, s store.Store, deliveryID string) []event.Attempt {
	t.Helper()
	as, err := s.Attempts(t.Context(), deliveryID)
	if err != nil {
		t.Fatalf("Attempts(%s): %v", deliveryID, err)
	}
	return as
}

func testCompleteRetryThenSucceed(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	held := leaseOnly(t, s, t0, d.ID)

	first := event.Attempt{
		ID: event.NewID(), N: 1, StartedAt: t0.Add(time.Second), Duration: 1500 * time.Millisecond,
		Status: 503, Error: "status 503", Response: []byte("busy \x00\xff"),
	}
	retryAt := t0.Add(5 * time.Minute)
	complete(t, s, store.Outcome{DeliveryID: d.ID, Lease: held.Lease, Attempt: first, State: event.Pending, NextAt: retryAt})

	want := d
	want.Attempts, want.NextAt, want.LastError = 1, retryAt, "status 503"
	want.UpdatedAt = first.StartedAt.Add(first.Duration)
	if diff := cmp.Diff(want, getDelivery(t, s, d.ID), opts); diff != "" {
		t.Errorf("after a failed attempt (-want +got):\n%s", diff)
	}
	if got := lease(t, s, retryAt.Add(-time.Nanosecond), 10, time.Minute); len(got) != 0 {
		t.Errorf("Lease before the retry is due = %v, want none", ids(got))
	}

	held = leaseOnly(t, s, retryAt, d.ID)
	second := event.Attempt{
		N: 2, StartedAt: retryAt.Add(time.Second), Duration: 20 * time.Millisecond, Status: 204,
	}
	complete(t, s, store.Outcome{DeliveryID: d.ID, Lease: held.Lease, Attempt: second, State: event.Succeeded})

	got := getDelivery(t, s, d.ID)
	want.State, want.Attempts = event.Succeeded, 2
	want.UpdatedAt = second.StartedAt.Add(second.Duration)
	want.NextAt = got.NextAt // not meaningful once succeeded
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("after success (-want +got):\n%s", diff)
	}
	if again := lease(t, s, t0.Add(24*time.Hour), 10, time.Minute); len(again) != 0 {
		t.Errorf("Lease after success = %v, want none", ids(again))
	}

	as := attempts(t, s, d.ID)
	if len(as) != 2 || as[1].ID == "" || as[1].ID == first.ID {
		t.Fatalf("attempts = %+v, want 2, the second with its own id", as)
	}
	first.DeliveryID, first.Outcome = d.ID, event.Pending
	second.ID, second.DeliveryID, second.Outcome = as[1].ID, d.ID, event.Succeeded
	if diff := cmp.Diff([]event.Attempt{first, second}, as, opts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	for _, a := range as {
		if a.StartedAt.Location() != time.UTC {
			t.Errorf("attempt %d StartedAt %v not in UTC", a.N, a.StartedAt)
		}
	}
}

func testCompleteDeadThenRetry(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	held := leaseOnly(t, s, t0, d.ID)
	complete(t, s, store.Outcome{
		DeliveryID: d.ID, Lease: held.Lease, State: event.Dead,
		Attempt: event.Attempt{N: 1, StartedAt: t0, Duration: time.Second, Error: "connection refused"},
	})
	if got := getDelivery(t, s, d.ID); got.State != event.Dead || got.LastError != "connection refused" {
		t.Fatalf("after a dead outcome: %+v", got)
	}
	if got := lease(t, s, t0.Add(24*time.Hour), 10, time.Minute); len(got) != 0 {
		t.Fatalf("Lease of a dead delivery = %v, want none", ids(got))
	}

	now := t0.Add(time.Hour)
	if err := s.Retry(t.Context(), d.ID, now); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	want := d
	want.Attempts, want.NextAt, want.UpdatedAt, want.LastError = 1, now, now, "connection refused"
	want.AttemptBase, want.RetriedAt = 1, now // a fresh budget
	if diff := cmp.Diff(want, getDelivery(t, s, d.ID), opts); diff != "" {
		t.Errorf("after Retry (-want +got):\n%s", diff)
	}
	leaseOnly(t, s, now, d.ID)

	err := s.Retry(t.Context(), d.ID, now)
	wantErr(t, "Retry of a pending delivery", err, store.ErrNotFound)
}

func testCompleteSkipsStale(t *testing.T, s store.Store) {
	a := ingestOne(t, s, t0)
	b := ingestOne(t, s, t0)
	c := ingestOne(t, s, t0.Add(time.Hour)) // never leased
	held := lease(t, s, t0, 10, time.Minute)
	if len(held) != 2 {
		t.Fatalf("leased %v, want 2", ids(held))
	}
	tokens := map[string]string{}
	for _, d := range held {
		tokens[d.ID] = d.Lease
	}
	attempt := event.Attempt{N: 1, StartedAt: t0, Duration: time.Second, Status: 200}
	complete(t, s,
		store.Outcome{DeliveryID: a.ID, Lease: tokens[a.ID], Attempt: attempt, State: event.Succeeded},
		store.Outcome{DeliveryID: b.ID, Lease: "not-the-lease", Attempt: attempt, State: event.Succeeded},
		store.Outcome{DeliveryID: c.ID, Lease: "", Attempt: attempt, State: event.Succeeded},
	)
	if got := getDelivery(t, s, a.ID); got.State != event.Succeeded {
		t.Errorf("matching outcome not applied: %+v", got)
	}
	if got := getDelivery(t, s, b.ID); got.State != event.Pending || got.Lease != tokens[b.ID] || got.Attempts != 0 {
		t.Errorf("stale outcome applied: %+v", got)
	}
	if got := getDelivery(t, s, c.ID); !cmp.Equal(got, c, opts) {
		t.Errorf("outcome without a lease applied: %+v, want %+v", got, c)
	}
}

func testCompleteAllOrNothing(t *testing.T, s store.Store) {
	ingestOne(t, s, t0)
	ingestOne(t, s, t0)
	held := lease(t, s, t0, 10, time.Minute)
	if len(held) != 2 {
		t.Fatalf("leased %v, want 2", ids(held))
	}
	// b's attempt number is wrong: the call fails and a is not moved either.
	err := s.Complete(t.Context(), []store.Outcome{
		{DeliveryID: held[0].ID, Lease: held[0].Lease, State: event.Succeeded,
			Attempt: event.Attempt{N: 1, StartedAt: t0, Status: 200}},
		{DeliveryID: held[1].ID, Lease: held[1].Lease, State: event.Succeeded,
			Attempt: event.Attempt{N: 7, StartedAt: t0, Status: 200}},
	})
	if err == nil {
		t.Fatal("Complete with a wrong attempt number succeeded")
	}
	for _, d := range held {
		if got := getDelivery(t, s, d.ID); !cmp.Equal(got, d, opts) {
			t.Errorf("after a failed Complete: %+v, want unchanged %+v", got, d)
		}
		if as := attempts(t, s, d.ID); len(as) != 0 {
			t.Errorf("failed Complete recorded attempts %+v", as)
		}
	}
}

func testRelease(t *testing.T, s store.Store) {
	a := ingestOne(t, s, t0)
	b := ingestOne(t, s, t0)
	held := lease(t, s, t0, 10, time.Minute)
	if len(held) != 2 {
		t.Fatalf("leased %v, want 2", ids(held))
	}
	tokens := map[string]string{held[0].ID: held[0].Lease, held[1].ID: held[1].Lease}
	now := t0.Add(10 * time.Second)
	err := s.Release(t.Context(), now, map[string]string{a.ID: tokens[a.ID], b.ID: "not-the-lease"})
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	want := a
	want.NextAt = now
	if diff := cmp.Diff(want, getDelivery(t, s, a.ID), opts); diff != "" {
		t.Errorf("released delivery (-want +got):\n%s", diff)
	}
	if got := getDelivery(t, s, b.ID); got.Lease != tokens[b.ID] {
		t.Errorf("delivery released with the wrong token: %+v", got)
	}
	leaseOnly(t, s, now, a.ID)
	if as := attempts(t, s, a.ID); len(as) != 0 {
		t.Errorf("Release recorded attempts %+v", as)
	}
}

// LeaseEach takes at most each destination's limit from that destination,
// whatever is due elsewhere first, and Others from the destinations not
// named; all oldest due first, and a backlog to one destination does not
// hide another's due deliveries.
func testLeaseEach(t *testing.T, s store.Store) {
	// Ten deliveries to "busy" due first, then two to "idle", one to "gone".
	var busy, idle []string
	for i := range 10 {
		ev := newEvent("github", t0.Add(time.Duration(i)*time.Second))
		ingest(t, s, ev, "busy")
		busy = append(busy, deliveriesOf(t, s, ev.ID)[0].ID)
	}
	for i := range 2 {
		ev := newEvent("github", t0.Add(time.Duration(20+i)*time.Second))
		ingest(t, s, ev, "idle")
		idle = append(idle, deliveriesOf(t, s, ev.ID)[0].ID)
	}
	evGone := newEvent("github", t0.Add(30*time.Second))
	ingest(t, s, evGone, "gone")
	gone := deliveriesOf(t, s, evGone.ID)[0].ID
	now := t0.Add(time.Minute)

	leaseEach := func(limits store.LeaseLimits) []string {
		t.Helper()
		ds, err := s.LeaseEach(t.Context(), now, limits, time.Minute)
		if err != nil {
			t.Fatalf("LeaseEach(%+v): %v", limits, err)
		}
		for _, d := range ds {
			if d.Lease == "" || !d.NextAt.Equal(now.Add(time.Minute)) {
				t.Errorf("leased %+v, want a lease token and NextAt %v", d, now.Add(time.Minute))
			}
		}
		return ids(ds)
	}
	// Room for 2 at busy and 5 at idle: 2 of busy's ten, both of idle's,
	// in due order; nothing of gone's (Others is 0).
	got := leaseEach(store.LeaseLimits{PerDestination: map[string]int{"busy": 2, "idle": 5}})
	if diff := cmp.Diff([]string{busy[0], busy[1], idle[0], idle[1]}, got); diff != "" {
		t.Fatalf("first LeaseEach (-want +got):\n%s", diff)
	}
	// Only the destinations not named: gone's.
	got = leaseEach(store.LeaseLimits{PerDestination: map[string]int{"busy": 0, "idle": 3}, Others: 5})
	if diff := cmp.Diff([]string{gone}, got); diff != "" {
		t.Fatalf("LeaseEach of the others (-want +got):\n%s", diff)
	}
	// busy's next three, the leased ones held back.
	got = leaseEach(store.LeaseLimits{PerDestination: map[string]int{"busy": 3}})
	if diff := cmp.Diff(busy[2:5], got); diff != "" {
		t.Fatalf("third LeaseEach (-want +got):\n%s", diff)
	}
	for _, bad := range []store.LeaseLimits{{}, {PerDestination: map[string]int{"busy": 0}}, {Others: -1, PerDestination: map[string]int{"busy": 1}}, {PerDestination: map[string]int{"busy": -1}}} {
		if _, err := s.LeaseEach(t.Context(), now, bad, time.Minute); err == nil {
			t.Errorf("LeaseEach(%+v) succeeded, want an error", bad)
		}
	}
}
