package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

func testIngestRoundTrip(t *testing.T, s store.Store) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	large := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(large)
	// A time away from UTC, with nanoseconds: it must come back as the same
	// instant, in UTC.
	received := time.Date(2025, 6, 1, 14, 30, 0, 987654321, time.FixedZone("CEST", 2*3600))

	tests := []struct {
		name string
		ev   event.Event
	}{
		{"binary body", event.Event{Method: "POST", Body: allBytes}},
		{"invalid UTF-8", event.Event{Method: "POST", Body: []byte("ok \xff\xfe \xc3\x28 \xed\xa0\x80 end")}},
		{"empty body", event.Event{Method: "POST", Body: []byte{}}},
		{"nil body", event.Event{Method: "GET", Query: "hub.challenge=abc&hub.mode=subscribe"}},
		{"1 MiB body", event.Event{Method: "POST", Body: large}},
		{"headers and query", event.Event{
			Method: "POST",
			Query:  "a=1&b=%20x%26y&c=é&empty=&a=2&flag",
			Header: http.Header{
				"Content-Type":      {"application/json; charset=utf-8"},
				"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
				"X-Multi":           {"first", "second", ""},
				"X-Quoted":          {`"quoted" \back\slash {json} <html> & tab	end`},
				"X-Unicode":         {"héllo ✓ 日本 \u2028"},
				"X-Empty":           {""},
			},
			Body: []byte(`{"zen":"Design for failure."}`),
			Type: "push", DeliveryID: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			ev.ID = event.NewID()
			ev.Source = "github"
			ev.ReceivedAt = received
			ingest(t, s, &ev)

			got, err := s.Event(t.Context(), ev.ID)
			if err != nil {
				t.Fatalf("Event: %v", err)
			}
			if !bytes.Equal(got.Body, ev.Body) {
				t.Errorf("body: got %d bytes %q..., want %d bytes %q...",
					len(got.Body), head(got.Body), len(ev.Body), head(ev.Body))
			}
			// Bodies were compared above; cmp is slow on megabytes.
			if diff := cmp.Diff(&ev, got, opts, cmpopts.IgnoreFields(event.Event{}, "Body")); diff != "" {
				t.Errorf("Event mismatch (-want +got):\n%s", diff)
			}
			if loc := got.ReceivedAt.Location(); loc != time.UTC {
				t.Errorf("ReceivedAt location = %v, want UTC", loc)
			}
		})
	}
}

func head(b []byte) []byte { return b[:min(len(b), 16)] }

func testIngestDeliveries(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	ingest(t, s, ev, "app", "audit", "slack")

	got := deliveriesOf(t, s, ev.ID)
	if len(got) != 3 {
		t.Fatalf("got %d deliveries, want 3", len(got))
	}
	seen := map[string]bool{}
	for _, d := range got {
		if d.ID == "" || seen[d.ID] {
			t.Errorf("delivery id %q is empty or repeated", d.ID)
		}
		seen[d.ID] = true
		want := event.Delivery{
			ID: d.ID, EventID: ev.ID, Destination: d.Destination, State: event.Pending,
			NextAt: t0, CreatedAt: t0, UpdatedAt: t0,
		}
		if diff := cmp.Diff(want, d, opts); diff != "" {
			t.Errorf("delivery to %s (-want +got):\n%s", d.Destination, diff)
		}
		if one := getDelivery(t, s, d.ID); !cmp.Equal(one, d, opts) {
			t.Errorf("Delivery(%s) = %+v, listed as %+v", d.ID, one, d)
		}
		if d.NextAt.Location() != time.UTC || d.CreatedAt.Location() != time.UTC {
			t.Errorf("delivery times not in UTC: %v, %v", d.NextAt, d.CreatedAt)
		}
	}
	for _, dest := range []string{"app", "audit", "slack"} {
		if !hasDestination(got, dest) {
			t.Errorf("no delivery to %s", dest)
		}
	}
}

func hasDestination(ds []event.Delivery, dest string) bool {
	for _, d := range ds {
		if d.Destination == dest {
			return true
		}
	}
	return false
}

func testIngestNoDestinations(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	ingest(t, s, ev)
	if _, err := s.Event(t.Context(), ev.ID); err != nil {
		t.Fatalf("Event: %v", err)
	}
	if ds := deliveriesOf(t, s, ev.ID); len(ds) != 0 {
		t.Errorf("got %d deliveries, want none", len(ds))
	}
}

func testIngestRepeatedDestination(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	if _, err := s.Ingest(t.Context(), ev, to("app", "audit", "app")); err == nil {
		t.Fatal("Ingest with a destination listed twice succeeded")
	}
	_, err := s.Event(t.Context(), ev.ID)
	wantErr(t, "Event after a refused Ingest", err, store.ErrNotFound)
}

func testIngestAssignsID(t *testing.T, s store.Store) {
	ev := newEvent("github", t0)
	ev.ID = ""
	res, err := s.Ingest(t.Context(), ev, to("app"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if res.EventID == "" || res.Duplicate {
		t.Fatalf("Ingest = %+v, want a new event id", res)
	}
	if ev.ID != "" {
		t.Errorf("Ingest set the caller's ev.ID to %q", ev.ID)
	}
	got, err := s.Event(t.Context(), res.EventID)
	if err != nil {
		t.Fatalf("Event(%s): %v", res.EventID, err)
	}
	if got.ID != res.EventID {
		t.Errorf("Event.ID = %q, want %q", got.ID, res.EventID)
	}
	if ds := deliveriesOf(t, s, res.EventID); len(ds) != 1 {
		t.Errorf("got %d deliveries, want 1", len(ds))
	}
}

func testDedupSequential(t *testing.T, s store.Store) {
	first := newEvent("github", t0)
	first.DeliveryID = "d-1"
	ingest(t, s, first, "app", "audit")

	second := newEvent("github", t0.Add(time.Second))
	second.DeliveryID = "d-1"
	second.Body = []byte("a different body")
	res, err := s.Ingest(t.Context(), second, to("app", "audit", "other"))
	if err != nil {
		t.Fatalf("Ingest duplicate: %v", err)
	}
	if want := (store.IngestResult{EventID: first.ID, Duplicate: true}); res != want {
		t.Errorf("Ingest duplicate = %+v, want %+v", res, want)
	}
	_, err = s.Event(t.Context(), second.ID)
	wantErr(t, "Event(duplicate)", err, store.ErrNotFound)
	if ds := deliveriesOf(t, s, second.ID); len(ds) != 0 {
		t.Errorf("duplicate has %d deliveries, want none", len(ds))
	}
	if ds := deliveriesOf(t, s, first.ID); len(ds) != 2 {
		t.Errorf("first event has %d deliveries, want 2", len(ds))
	}
	got, err := s.Event(t.Context(), first.ID)
	if err != nil {
		t.Fatalf("Event(first): %v", err)
	}
	if !bytes.Equal(got.Body, first.Body) {
		t.Errorf("first event's body = %q, want %q", got.Body, first.Body)
	}
}

func testDedupScope(t *testing.T, s store.Store) {
	// The same provider id from two sources is two events.
	a := newEvent("github", t0)
	a.DeliveryID = "same"
	b := newEvent("stripe", t0)
	b.DeliveryID = "same"
	// No provider id never dedups.
	c := newEvent("github", t0)
	d := newEvent("github", t0)
	for _, ev := range []*event.Event{a, b, c, d} {
		ingest(t, s, ev, "app")
	}
}

func testDedupConcurrent(t *testing.T, s store.Store) {
	const n = 32
	results := make([]store.IngestResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := newEvent("github", t0.Add(time.Duration(i)))
			ev.DeliveryID = "concurrent"
			results[i], errs[i] = s.Ingest(t.Context(), ev, to("app"))
		})
	}
	wg.Wait()
	var stored []string
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("Ingest %d: %v", i, errs[i])
		}
		if !res.Duplicate {
			stored = append(stored, res.EventID)
		}
	}
	if len(stored) != 1 {
		t.Fatalf("%d ingests stored an event, want exactly 1: %v", len(stored), stored)
	}
	for i, res := range results {
		if res.EventID != stored[0] {
			t.Errorf("Ingest %d: EventID %s, want the stored %s", i, res.EventID, stored[0])
		}
	}
	all, err := s.Deliveries(t.Context(), store.DeliveryFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if len(all) != 1 || all[0].EventID != stored[0] {
		t.Errorf("deliveries = %+v, want one, of event %s", all, stored[0])
	}
}

func testIngestConcurrent(t *testing.T, s store.Store) {
	const workers, each = 50, 20
	events := make([]*event.Event, workers*each)
	for i := range events {
		ev := newEvent(fmt.Sprintf("src-%d", i%3), t0.Add(time.Duration(i)*time.Millisecond))
		ev.Body = fmt.Appendf(nil, `{"n":%d}`, i)
		if i%2 == 0 {
			ev.DeliveryID = fmt.Sprintf("provider-%d", i)
		}
		events[i] = ev
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(events))
	for w := range workers {
		wg.Go(func() {
			for _, ev := range events[w*each : (w+1)*each] {
				res, err := s.Ingest(t.Context(), ev, to("app"))
				if err != nil {
					errs <- err
					return
				}
				if res.Duplicate || res.EventID != ev.ID {
					errs <- fmt.Errorf("Ingest(%s) = %+v", ev.ID, res)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, ev := range events {
		got, err := s.Event(t.Context(), ev.ID)
		if err != nil {
			t.Fatalf("Event(%s): %v", ev.ID, err)
		}
		if !bytes.Equal(got.Body, ev.Body) {
			t.Fatalf("Event(%s).Body = %q, want %q", ev.ID, got.Body, ev.Body)
		}
	}
	all, err := s.Deliveries(t.Context(), store.DeliveryFilter{Limit: 2 * len(events)})
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if len(all) != len(events) {
		t.Errorf("got %d deliveries, want %d", len(all), len(events))
	}
}
