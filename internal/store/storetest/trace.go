package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// traceTests pin Event.TraceParent: stored by Ingest (NULL when empty) and
// read back with the event, as the delivery worker reads it after Lease.
var traceTests = []struct {
	name string
	test func(t *testing.T, s store.Store)
}{
	{"TraceParent", testTraceParent},
}

func testTraceParent(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traced := &event.Event{ID: event.NewID(), Source: "github", Method: "POST", Body: []byte("{}"), ReceivedAt: at, TraceParent: tp}
	plain := &event.Event{ID: event.NewID(), Source: "github", Method: "POST", Body: []byte("{}"), ReceivedAt: at}
	for _, ev := range []*event.Event{traced, plain} {
		if _, err := s.Ingest(ctx, ev, []store.Route{{Destination: "app"}}); err != nil {
			t.Fatalf("Ingest: %v", err)
		}
	}
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			id, want string
		}{{traced.ID, tp}, {plain.ID, ""}} {
			got, err := s.Event(ctx, c.id)
			if err != nil {
				t.Fatalf("%s: Event: %v", when, err)
			}
			if got.TraceParent != c.want {
				t.Errorf("%s: TraceParent %q, want %q", when, got.TraceParent, c.want)
			}
		}
	}
	check("after Ingest")
	ds, err := s.Lease(ctx, at.Add(time.Second), 10, time.Minute)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Lease: %d deliveries, %v; want 2", len(ds), err)
	}
	check("after Lease")
}
