// Package storetest is the contract every store.Store engine must meet, as a
// test suite. An engine's tests call Run with a function that opens a new,
// empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite closes every store it opens. Times are passed in, never read from
// the clock, and no test sleeps. What it pins, beyond the doc comments of
// store.Store:
//   - bodies, headers and query strings round-trip exactly; times round-trip to
//     the nanosecond and come back in UTC;
//   - an empty Event.ID gets an id; the caller's Event is not modified;
//   - a destination listed twice fails Ingest, and nothing is written;
//   - listings are newest first by id (ids are time-ordered);
//   - Attempts of an unknown delivery is ErrNotFound;
//   - a failed attempt sets LastError to Attempt.Error, a success keeps it;
//   - UpdatedAt moves on Complete (to the attempt's end) and on Retry (to now);
//   - a context cancelled before a write fails it, and nothing is written;
//   - calls after Close fail with ErrClosed; closing twice returns nil;
//   - a route's ordering key, body and header come back from every read, a
//     nil body (no transform) apart from an empty one; a key over
//     store.MaxOrderingKey bytes, or not UTF-8, fails Ingest;
//   - Lease hands out only the first pending delivery of a (destination,
//     ordering key), first by receive time then by id, also to leasers
//     racing for it; a dead one no longer holds its key.
package storetest

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Run runs the contract suite. open must return a new, empty store each time
// it is called; tests run in parallel, each on its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"IngestRoundTrip", testIngestRoundTrip},
		{"IngestDeliveries", testIngestDeliveries},
		{"IngestNoDestinations", testIngestNoDestinations},
		{"IngestAssignsID", testIngestAssignsID},
		{"IngestRepeatedDestination", testIngestRepeatedDestination},
		{"DedupSequential", testDedupSequential},
		{"DedupScope", testDedupScope},
		{"DedupConcurrent", testDedupConcurrent},
		{"IngestConcurrent", testIngestConcurrent},
		{"LeaseOrderAndLimit", testLeaseOrderAndLimit},
		{"LeaseNotDue", testLeaseNotDue},
		{"LeaseExpired", testLeaseExpired},
		{"LeaseEach", testLeaseEach},
		{"CompleteRetryThenSucceed", testCompleteRetryThenSucceed},
		{"CompleteDeadThenRetry", testCompleteDeadThenRetry},
		{"CompleteSkipsStale", testCompleteSkipsStale},
		{"CompleteAllOrNothing", testCompleteAllOrNothing},
		{"Release", testRelease},
		{"IngestOverrides", testIngestOverrides},
		{"IngestBadOrderingKey", testIngestBadOrderingKey},
		{"LeaseOrdering", testLeaseOrdering},
		{"LeaseOrderingTies", testLeaseOrderingTies},
		{"LeaseOrderingConcurrent", testLeaseOrderingConcurrent},
		{"Rejections", testRejections},
		{"DeliveriesFilter", testDeliveriesFilter},
		{"NotFound", testNotFound},
		{"CanceledContext", testCanceledContext},
		{"Ping", testPing},
		{"Closed", testClosed},
	}
	tests = append(tests, adminTests...)
	tests = append(tests, queryTests...)
	tests = append(tests, traceTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.test(t, s)
		})
	}
}

// t0 is the suite's "now": nanoseconds set, to catch lost precision.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)

// opts compare stored values: nil and empty are the same, times by instant.
var opts = cmp.Options{cmpopts.EquateEmpty()}

// newEvent returns an event from source received at, with a small JSON body.
func newEvent(source string, at time.Time) *event.Event {
	return &event.Event{
		ID:         event.NewID(),
		Source:     source,
		Method:     "POST",
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       []byte(`{"hello":"world"}`),
		ReceivedAt: at,
	}
}

// ingest stores ev for destinations and fails the test on an error or a
// duplicate.
func ingest(t *testing.T, s store.Store, ev *event.Event, destinations ...string) {
	t.Helper()
	res, err := s.Ingest(t.Context(), ev, to(destinations...))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if want := (store.IngestResult{EventID: ev.ID}); res != want {
		t.Fatalf("Ingest = %+v, want %+v", res, want)
	}
}

// to returns plain routes (no ordering, no transform) to destinations.
func to(destinations ...string) []store.Route {
	rs := make([]store.Route, len(destinations))
	for i, d := range destinations {
		rs[i] = store.Route{Destination: d}
	}
	return rs
}

// ingestOne stores a new event with one destination, received at, and
// returns its delivery.
func ingestOne(t *testing.T, s store.Store, at time.Time) event.Delivery {
	t.Helper()
	ev := newEvent("src", at)
	ingest(t, s, ev, "dest")
	ds := deliveriesOf(t, s, ev.ID)
	if len(ds) != 1 {
		t.Fatalf("event %s has %d deliveries, want 1", ev.ID, len(ds))
	}
	return ds[0]
}

func deliveriesOf(t *testing.T, s store.Store, eventID string) []event.Delivery {
	t.Helper()
	ds, err := s.Deliveries(t.Context(), store.DeliveryFilter{EventID: eventID})
	if err != nil {
		t.Fatalf("Deliveries(event %s): %v", eventID, err)
	}
	return ds
}

func getDelivery(t *testing.T, s store.Store, id string) event.Delivery {
	t.Helper()
	d, err := s.Delivery(t.Context(), id)
	if err != nil {
		t.Fatalf("Delivery(%s): %v", id, err)
	}
	return d
}

func lease(t *testing.T, s store.Store, now time.Time, limit int, leaseFor time.Duration) []event.Delivery {
	t.Helper()
	ds, err := s.Lease(t.Context(), now, limit, leaseFor)
	if err != nil {
		t.Fatalf("Lease(%v, %d, %v): %v", now, limit, leaseFor, err)
	}
	return ds
}

// leaseOnly leases at now and fails unless exactly want comes back.
func leaseOnly(t *testing.T, s store.Store, now time.Time, want string) event.Delivery {
	t.Helper()
	ds := lease(t, s, now, 10, time.Minute)
	if len(ds) != 1 || ds[0].ID != want {
		t.Fatalf("Lease at %v = %v, want only %s", now, ids(ds), want)
	}
	return ds[0]
}

func complete(t *testing.T, s store.Store, outcomes ...store.Outcome) {
	t.Helper()
	if err := s.Complete(t.Context(), outcomes); err != nil {
		t.Fatalf("Complete: %v", err)
	}
}

func ids(ds []event.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// wantErr fails unless err is target (by errors.Is).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}
