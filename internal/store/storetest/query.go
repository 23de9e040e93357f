package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

func testRejections(t *testing.T, s store.Store) {
	var rs []event.Rejection
	for i := range 3 {
		r := event.Rejection{
			ID: event.NewID(), Source: "github", ReceivedAt: t0.Add(time.Duration(i) * time.Second),
			Status: 401, Reason: "signature mismatch", RemoteAddr: "192.0.2.7:51234",
		}
		if err := s.Reject(t.Context(), r); err != nil {
			t.Fatalf("Reject: %v", err)
		}
		rs = append(rs, r)
	}
	got, err := s.Rejections(t.Context(), 2)
	if err != nil {
		t.Fatalf("Rejections: %v", err)
	}
	if diff := cmp.Diff([]event.Rejection{rs[2], rs[1]}, got, opts); diff != "" {
		t.Errorf("Rejections(2), newest first (-want +got):\n%s", diff)
	}

	// No id: the store makes one.
	if err := s.Reject(t.Context(), event.Rejection{Source: "x", ReceivedAt: t0, Status: 413, Reason: "body too large"}); err != nil {
		t.Fatalf("Reject without id: %v", err)
	}
	got, err = s.Rejections(t.Context(), 0)
	if err != nil {
		t.Fatalf("Rejections(0): %v", err)
	}
	if len(got) != 4 || got[0].ID == "" || got[0].Reason != "body too large" {
		t.Errorf("Rejections(0) = %+v, want all 4, the id-less one first with an id", got)
	}
}

func testDeliveriesFilter(t *testing.T, s store.Store) {
	ev1 := newEvent("github", t0)
	ingest(t, s, ev1, "a", "c")
	ev2 := newEvent("github", t0)
	ingest(t, s, ev2, "b")
	ev3 := newEvent("github", t0.Add(-time.Hour)) // due first
	ingest(t, s, ev3, "a")

	byDest := map[string]event.Delivery{}
	for _, d := range deliveriesOf(t, s, ev1.ID) {
		byDest[d.Destination] = d
	}
	d1a, d1c := byDest["a"], byDest["c"]
	d2b := deliveriesOf(t, s, ev2.ID)[0]
	d3a := leaseOnly(t, s, t0.Add(-time.Hour), deliveriesOf(t, s, ev3.ID)[0].ID)
	complete(t, s, store.Outcome{
		DeliveryID: d3a.ID, Lease: d3a.Lease, State: event.Dead,
		Attempt: event.Attempt{N: 1, StartedAt: t0.Add(-time.Hour), Status: 410, Error: "status 410"},
	})

	tests := []struct {
		name string
		f    store.DeliveryFilter
		want []string // in order
	}{
		{"by destination", store.DeliveryFilter{Destination: "a"}, []string{d3a.ID, d1a.ID}},
		{"limit", store.DeliveryFilter{Limit: 2}, []string{d3a.ID, d2b.ID}},
		{"dead", store.DeliveryFilter{State: event.Dead}, []string{d3a.ID}},
		{"succeeded", store.DeliveryFilter{State: event.Succeeded}, nil},
		{"event and destination", store.DeliveryFilter{EventID: ev1.ID, Destination: "c"}, []string{d1c.ID}},
		{"event and state", store.DeliveryFilter{EventID: ev3.ID, State: event.Pending}, nil},
		{"unknown destination", store.DeliveryFilter{Destination: "nope"}, nil},
	}
	for _, tt := range tests {
		got, err := s.Deliveries(t.Context(), tt.f)
		if err != nil {
			t.Fatalf("%s: Deliveries(%+v): %v", tt.name, tt.f, err)
		}
		if diff := cmp.Diff(tt.want, ids(got), opts); diff != "" {
			t.Errorf("%s: Deliveries(%+v) (-want +got):\n%s", tt.name, tt.f, diff)
		}
	}

	// Newest first overall; an event's own deliveries in either order.
	all, err := s.Deliveries(t.Context(), store.DeliveryFilter{})
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if len(all) != 4 || all[0].ID != d3a.ID || all[1].ID != d2b.ID {
		t.Errorf("Deliveries() = %v, want 4 starting %s, %s", ids(all), d3a.ID, d2b.ID)
	}
	pending, err := s.Deliveries(t.Context(), store.DeliveryFilter{State: event.Pending})
	if err != nil {
		t.Fatalf("Deliveries(pending): %v", err)
	}
	if len(pending) != 3 || pending[0].ID != d2b.ID {
		t.Errorf("Deliveries(pending) = %v, want 3 starting %s", ids(pending), d2b.ID)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Event(ctx, event.NewID())
	wantErr(t, "Event", err, store.ErrNotFound)
	_, err = s.Delivery(ctx, event.NewID())
	wantErr(t, "Delivery", err, store.ErrNotFound)
	_, err = s.Attempts(ctx, event.NewID())
	wantErr(t, "Attempts", err, store.ErrNotFound)
	err = s.Retry(ctx, event.NewID(), t0)
	wantErr(t, "Retry", err, store.ErrNotFound)

	// A delivery that exists but has no attempts yet.
	d := ingestOne(t, s, t0)
	if as := attempts(t, s, d.ID); len(as) != 0 {
		t.Errorf("Attempts of a new delivery = %+v, want none", as)
	}
	if ds := deliveriesOf(t, s, event.NewID()); len(ds) != 0 {
		t.Errorf("Deliveries of an unknown event = %+v, want none", ds)
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ev := newEvent("github", t0)
	_, err := s.Ingest(ctx, ev, to("app"))
	wantErr(t, "Ingest", err, context.Canceled)
	_, err = s.Event(t.Context(), ev.ID)
	wantErr(t, "Event after a canceled Ingest", err, store.ErrNotFound)

	err = s.Reject(ctx, event.Rejection{Source: "x", ReceivedAt: t0, Status: 401, Reason: "r"})
	wantErr(t, "Reject", err, context.Canceled)
	rs, err := s.Rejections(t.Context(), 0)
	if err != nil || len(rs) != 0 {
		t.Errorf("Rejections after a canceled Reject = %+v, %v; want none", rs, err)
	}

	d := ingestOne(t, s, t0)
	_, err = s.Lease(ctx, t0, 10, time.Minute)
	wantErr(t, "Lease", err, context.Canceled)
	if got := getDelivery(t, s, d.ID); got.Lease != "" {
		t.Errorf("canceled Lease took the delivery: %+v", got)
	}
	_, err = s.Event(ctx, ev.ID)
	wantErr(t, "Event", err, context.Canceled)
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testClosed(t *testing.T, s store.Store) {
	d := ingestOne(t, s, t0)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	_, err := s.Ingest(ctx, newEvent("github", t0), to("app"))
	wantErr(t, "Ingest", err, store.ErrClosed)
	err = s.Reject(ctx, event.Rejection{Source: "x", ReceivedAt: t0, Status: 401})
	wantErr(t, "Reject", err, store.ErrClosed)
	_, err = s.Lease(ctx, t0, 10, time.Minute)
	wantErr(t, "Lease", err, store.ErrClosed)
	err = s.Complete(ctx, []store.Outcome{{DeliveryID: d.ID, Lease: "l", State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: t0}}})
	wantErr(t, "Complete", err, store.ErrClosed)
	err = s.Release(ctx, t0, map[string]string{d.ID: "l"})
	wantErr(t, "Release", err, store.ErrClosed)
	err = s.Retry(ctx, d.ID, t0)
	wantErr(t, "Retry", err, store.ErrClosed)
	_, err = s.Event(ctx, d.EventID)
	wantErr(t, "Event", err, store.ErrClosed)
	_, err = s.Delivery(ctx, d.ID)
	wantErr(t, "Delivery", err, store.ErrClosed)
	_, err = s.Deliveries(ctx, store.DeliveryFilter{})
	wantErr(t, "Deliveries", err, store.ErrClosed)
	_, err = s.Attempts(ctx, d.ID)
	wantErr(t, "Attempts", err, store.ErrClosed)
	_, err = s.Rejections(ctx, 0)
	wantErr(t, "Rejections", err, store.ErrClosed)
	err = s.Ping(ctx)
	wantErr(t, "Ping", err, store.ErrClosed)
	wantErr(t, "Ping, as unavailable", err, store.ErrUnavailable)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
