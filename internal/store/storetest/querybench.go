package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// ingestMany ingests the n events mk makes, with one delivery each, from 64
// callers, and returns their ids by i.
func ingestMany(b *testing.B, s store.Store, n int, mk func(i int) *event.Event) []string {
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 64 {
		wg.Go(func() {
			for i := w; i < n; i += 64 {
				ev := mk(i)
				ev.ID = event.NewID()
				if _, err := s.Ingest(context.Background(), ev, []store.Route{{Destination: "app"}}); err != nil {
					errs <- err
					return
				}
				ids[i] = ev.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return ids
}

// fill ingests n events received a millisecond apart from t0 on: every
// fourth from source "stripe" (type "charge"), every hundredth of type
// "refund" with "needle" in its body, the rest from "github" (type "push").
func fill(b *testing.B, s store.Store, n int) []string {
	return ingestMany(b, s, n, func(i int) *event.Event {
		ev := &event.Event{
			Source: "github", Type: "push", Method: "POST",
			Body:       []byte(`{"action":"opened","number":12345,"repository":{"full_name":"hookgate/hookgate"}}`),
			ReceivedAt: t0.Add(time.Duration(i) * time.Millisecond),
		}
		if i%4 == 0 {
			ev.Source, ev.Type = "stripe", "charge"
		}
		if i%100 == 1 {
			ev.Type, ev.Body = "refund", []byte(`{"object":"refund","note":"needle"}`)
		}
		return ev
	})
}

// BenchEvents measures listing pages of 50 events (with their delivery
// counts) from a table of 100,000, by filter. Every engine's BenchmarkEvents
// calls it.
func BenchEvents(b *testing.B, open func(b *testing.B) (store.Store, Counters)) {
	s, _ := open(b)
	ids := fill(b, s, 100_000)
	// Ids are made by concurrent callers: the middle of the table by id.
	middle := ids[len(ids)/2]
	for _, bm := range []struct {
		name string
		q    store.EventQuery
	}{
		{"newest", store.EventQuery{}},
		{"source", store.EventQuery{Source: "stripe"}},
		{"source_deep", store.EventQuery{Source: "stripe", Before: middle}},
		{"type_rare", store.EventQuery{Type: "refund"}},
		{"state_pending", store.EventQuery{State: event.Pending, Before: middle}},
		{"text", store.EventQuery{Source: "github", Text: "needle"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := s.Events(context.Background(), bm.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) != 50 {
					b.Fatalf("page of %d events, want 50", len(page))
				}
			}
		})
	}
}

// BenchPurge measures Purge calls that each remove 500 events received
// long ago, each with a succeeded delivery and its attempt. On SQLite a
// call is one transaction of the writer, so ns/op is how long one purge
// holds ingest up.
func BenchPurge(b *testing.B, open func(b *testing.B) (store.Store, Counters)) {
	const batch = 500
	s, _ := open(b)
	ctx := context.Background()
	old := t0.Add(-365 * 24 * time.Hour)
	n := b.N * batch
	ingestMany(b, s, n, func(i int) *event.Event {
		return &event.Event{Source: "github", Method: "POST", Body: make([]byte, 2048), ReceivedAt: old.Add(time.Duration(i))}
	})
	for done := 0; done < n; {
		ds, err := s.Lease(ctx, t0, batch, time.Minute)
		if err != nil || len(ds) == 0 {
			b.Fatalf("Lease = %d deliveries, %v", len(ds), err)
		}
		outcomes := make([]store.Outcome, len(ds))
		for i, d := range ds {
			outcomes[i] = store.Outcome{DeliveryID: d.ID, Lease: d.Lease, State: event.Succeeded,
				Attempt: event.Attempt{N: 1, StartedAt: t0, Duration: time.Millisecond, Status: 200}}
		}
		if err := s.Complete(ctx, outcomes); err != nil {
			b.Fatal(err)
		}
		done += len(ds)
	}
	r := store.Retention{Before: t0, Limit: batch}
	b.ResetTimer()
	for range b.N {
		evs, _, err := s.Purge(ctx, r)
		if err != nil || evs != batch {
			b.Fatalf("Purge = %d events, %v; want %d", evs, err, batch)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	if evs, _, err := s.Purge(ctx, r); err != nil || evs != 0 {
		b.Fatalf("Purge after the last batch = %d events, %v; want none left", evs, err)
	}
}
