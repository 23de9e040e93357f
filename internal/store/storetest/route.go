package storetest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// A route's ordering key, body and header come back from every read, and a
// nil body (no transform) stays apart from an empty one.
func testIngestOverrides(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	routes := []store.Route{
		{Destination: "slack", OrderingKey: "octo/héllo", Body: []byte(`{"text":"push \u00e9 \x00"}`),
			Header: http.Header{"Content-Type": {"application/json"}, "X-Multi": {"1", "2"}, "X-Empty": {""}}},
		{Destination: "empty", Body: []byte{}},
		{Destination: "binary", Body: []byte("\x00\xff\xfe")},
		{Destination: "plain"},
	}
	if _, err := s.Ingest(t.Context(), ev, routes); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	byDest := map[string]event.Delivery{}
	for _, d := range deliveriesOf(t, s, ev.ID) {
		byDest[d.Destination] = d
	}
	leased := map[string]event.Delivery{}
	for _, d := range lease(t, s, t0, 10, time.Minute) {
		leased[d.Destination] = d
	}
	for _, rt := range routes {
		listed, ok := byDest[rt.Destination]
		if !ok {
			t.Fatalf("no delivery to %s", rt.Destination)
		}
		for what, d := range map[string]event.Delivery{
			"listed": listed, "Delivery": getDelivery(t, s, listed.ID), "leased": leased[rt.Destination],
		} {
			got := store.Route{Destination: d.Destination, OrderingKey: d.OrderingKey, Body: d.Body, Header: d.Header}
			if diff := cmp.Diff(rt, got, opts); diff != "" {
				t.Errorf("%s delivery to %s (-want +got):\n%s", what, rt.Destination, diff)
			}
			if (d.Body == nil) != (rt.Body == nil) {
				t.Errorf("%s delivery to %s: body %q (nil: %v), want nil: %v",
					what, rt.Destination, d.Body, d.Body == nil, rt.Body == nil)
			}
		}
	}
}

// An ordering key the stores cannot index fails Ingest, and nothing is
// written.
func testIngestBadOrderingKey(t *testing.T, s store.Store) {
	for _, key := range []string{strings.Repeat("k", store.MaxOrderingKey+1), "bad \xff utf-8", "nul \x00"} {
		ev := newEvent("github", t0)
		_, err := s.Ingest(t.Context(), ev, []store.Route{{Destination: "app"}, {Destination: "b", OrderingKey: key}})
		if err == nil {
			t.Errorf("Ingest with ordering key %q succeeded", key)
		}
		_, err = s.Event(t.Context(), ev.ID)
		wantErr(t, "Event after a refused Ingest", err, store.ErrNotFound)
	}
	// The longest key is fine.
	ev := newEvent("github", t0)
	ingestRoutes(t, s, ev, store.Route{Destination: "app", OrderingKey: strings.Repeat("é", store.MaxOrderingKey/2)})
}

func ingestRoutes(t *testing.T, s store.Store, ev *event.Event, routes ...store.Route) []event.Delivery {
	t.Helper()
	res, err := s.Ingest(t.Context(), ev, routes)
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if want := (store.IngestResult{EventID: ev.ID}); res != want {
		t.Fatalf("Ingest = %+v, want %+v", res, want)
	}
	return deliveriesOf(t, s, ev.ID)
}

// keyed stores an event received at, with one delivery to dest with key,
// and returns the delivery.
func keyed(t *testing.T, s store.Store, at time.Time, dest, key string) event.Delivery {
	t.Helper()
	return ingestRoutes(t, s, newEvent("src", at), store.Route{Destination: dest, OrderingKey: key})[0]
}

// Lease hands out only the first pending delivery of each (destination,
// key); a head waiting for its retry holds its key, a dead one does not.
func testLeaseOrdering(t *testing.T, s store.Store) {
	a1 := keyed(t, s, t0, "d", "A")
	a2 := keyed(t, s, t0.Add(time.Second), "d", "A")
	b1 := keyed(t, s, t0.Add(2*time.Second), "d", "B")
	other := keyed(t, s, t0.Add(3*time.Second), "other", "A") // same key, another destination
	plain := keyed(t, s, t0.Add(4*time.Second), "d", "")
	a3 := keyed(t, s, t0.Add(5*time.Second), "d", "A")

	now := t0.Add(time.Minute)
	held := lease(t, s, now, 10, 24*time.Hour)
	if diff := cmp.Diff([]string{a1.ID, b1.ID, other.ID, plain.ID}, ids(held)); diff != "" {
		t.Fatalf("first Lease, heads only (-want +got):\n%s", diff)
	}
	if got := lease(t, s, now, 10, time.Minute); len(got) != 0 {
		t.Fatalf("Lease while the heads are held = %v, want none", ids(got))
	}

	// a1 fails and waits for a retry: A stays blocked, even once the lease
	// would have expired.
	retryAt := now.Add(time.Hour)
	complete(t, s, store.Outcome{DeliveryID: a1.ID, Lease: held[0].Lease, State: event.Pending, NextAt: retryAt,
		Attempt: event.Attempt{N: 1, StartedAt: now, Status: 503, Error: "status 503"}})
	if got := lease(t, s, now.Add(30*time.Minute), 10, time.Minute); len(got) != 0 {
		t.Fatalf("Lease while A's head waits for its retry = %v, want none", ids(got))
	}
	a1 = leaseOnly(t, s, retryAt, a1.ID)

	// a1 is dead: it no longer holds A, and a2 is next.
	complete(t, s, store.Outcome{DeliveryID: a1.ID, Lease: a1.Lease, State: event.Dead,
		Attempt: event.Attempt{N: 2, StartedAt: retryAt, Status: 500, Error: "status 500"}})
	a2 = leaseOnly(t, s, retryAt, a2.ID)

	// a2 succeeds: a3 is next.
	complete(t, s, store.Outcome{DeliveryID: a2.ID, Lease: a2.Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: retryAt, Status: 200}})
	leaseOnly(t, s, retryAt, a3.ID)
}

// Deliveries received at the same instant go in the order Ingest stored
// them; a released head is first in line again.
func testLeaseOrderingTies(t *testing.T, s store.Store) {
	first := keyed(t, s, t0, "d", "k")
	second := keyed(t, s, t0, "d", "k")
	held := leaseOnly(t, s, t0, first.ID)
	if err := s.Release(t.Context(), t0.Add(time.Second), map[string]string{first.ID: held.Lease}); err != nil {
		t.Fatalf("Release: %v", err)
	}
	leaseOnly(t, s, t0.Add(time.Second), first.ID)
	_ = second
}

// Many leasers take deliveries of a few keys at once, as workers (and, for a
// shared database, nodes) do; some attempts fail and are retried at once.
// Deliveries of a key must never be in flight together, and each key's must
// succeed in the order they were received. Without ordering, leasers take
// several of a key at once and this fails.
func testLeaseOrderingConcurrent(t *testing.T, s store.Store) {
	const (
		keys     = 3
		perKey   = 30
		leasers  = 8
		unkeyed  = 20
		maxRound = 2000
	)
	want := map[string][]string{} // key -> delivery ids, in receive order
	n := 0
	for i := range perKey {
		for k := range keys {
			key := fmt.Sprintf("key-%d", k)
			d := keyed(t, s, t0.Add(time.Duration(n)*time.Millisecond), "d", key)
			want[key] = append(want[key], d.ID)
			n++
			if i < unkeyed/keys {
				keyed(t, s, t0.Add(time.Duration(n)*time.Millisecond), "d", "")
				n++
			}
		}
	}
	now := t0.Add(time.Hour) // everything is due; leases never expire

	var (
		mu       sync.Mutex
		inFlight = map[string]string{} // key -> delivery id
		done     = map[string][]string{}
		left     = n
		problems []string
	)
	var wg sync.WaitGroup
	for range leasers {
		wg.Go(func() {
			for round := 0; round < maxRound; round++ {
				mu.Lock()
				finished := left == 0 || len(problems) > 0
				mu.Unlock()
				if finished {
					return
				}
				ds, err := s.Lease(t.Context(), now, 4, time.Hour)
				if err != nil {
					t.Errorf("Lease: %v", err)
					return
				}
				// The whole batch is in flight at once, as a worker
				// hands it to its pools.
				mu.Lock()
				for _, d := range ds {
					if other, busy := inFlight[d.OrderingKey]; busy {
						problems = append(problems, fmt.Sprintf("key %s: %s leased while %s is in flight",
							d.OrderingKey, d.ID, other))
					}
					if d.OrderingKey != "" {
						inFlight[d.OrderingKey] = d.ID
					}
				}
				mu.Unlock()
				for _, d := range ds {
					attempt(t, s, d, now, &mu, inFlight, done, &left)
				}
			}
		})
	}
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("ordering broken:\n%s", strings.Join(problems, "\n"))
	}
	if left != 0 {
		t.Fatalf("%d deliveries never succeeded", left)
	}
	for key, ids := range want {
		if diff := cmp.Diff(ids, done[key]); diff != "" {
			t.Errorf("key %s succeeded out of receive order (-want +got):\n%s", key, diff)
		}
	}
}

// attempt plays a worker's attempt at d, in flight since it was leased: it
// fails the first attempt of every third delivery (retried at once) and
// succeeds the others.
func attempt(t *testing.T, s store.Store, d event.Delivery, now time.Time,
	mu *sync.Mutex, inFlight map[string]string, done map[string][]string, left *int) {
	fail := d.Attempts == 0 && d.ID[len(d.ID)-1]%3 == 0
	o := store.Outcome{DeliveryID: d.ID, Lease: d.Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: d.Attempts + 1, StartedAt: now, Status: 200}}
	if fail {
		o.State, o.NextAt, o.Attempt.Status, o.Attempt.Error = event.Pending, now, 503, "status 503"
	}
	// Recorded before the write: once Complete commits, the next delivery
	// of the key may be leased at once.
	mu.Lock()
	if d.OrderingKey != "" {
		delete(inFlight, d.OrderingKey)
		if !fail {
			done[d.OrderingKey] = append(done[d.OrderingKey], d.ID)
		}
	}
	if !fail {
		*left--
	}
	mu.Unlock()
	if err := s.Complete(t.Context(), []store.Outcome{o}); err != nil {
		t.Errorf("Complete: %v", err)
	}
}
