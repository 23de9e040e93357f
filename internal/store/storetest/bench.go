package storetest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Counters returns an engine's group-commit counters: write transactions
// committed, and the write requests they answered.
type Counters func() (commits, requests uint64)

// BenchIngest measures durable ingests of 2 KB events with one destination,
// from 1, 16 and 128 concurrent callers, on stores from open. It reports the
// mean group-commit batch (reqs/commit) and events/s. Every engine's
// BenchmarkIngest calls it, so the figures compare like with like.
func BenchIngest(b *testing.B, open func(b *testing.B) (store.Store, Counters)) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 128) // 2 KiB
	header := http.Header{
		"Content-Type":        {"application/json"},
		"User-Agent":          {"GitHub-Hookshot/2b1a7c9"},
		"X-Github-Delivery":   {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		"X-Github-Event":      {"push"},
		"X-Hub-Signature-256": {"sha256=6dcb09b5b57875f334f61aebed695e2e4193db5e6dcb09b5b57875f334f61aeb"},
	}
	routes := []store.Route{{Destination: "app"}}
	for _, writers := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, counters := open(b)
			ctx := context.Background()
			ingest := func() {
				ev := &event.Event{
					Source: "github", Method: "POST", Header: header, Body: body,
					ReceivedAt: t0, Type: "push",
				}
				if _, err := s.Ingest(ctx, ev, routes); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			commits0, requests0 := counters()
			b.ResetTimer()
			if writers == 1 {
				for b.Loop() {
					ingest()
				}
			} else {
				b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						ingest()
					}
				})
			}
			b.StopTimer()
			commits1, requests1 := counters()
			if commits := commits1 - commits0; commits > 0 {
				b.ReportMetric(float64(requests1-requests0)/float64(commits), "reqs/commit")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchLeaseComplete measures the delivery side: leasing due deliveries 100
// at a time, as the worker does (LeaseEach, one destination), and completing
// each batch with one Complete.
func BenchLeaseComplete(b *testing.B, open func(b *testing.B) (store.Store, Counters)) {
	s, _ := open(b)
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 2048)
	routes := []store.Route{{Destination: "app"}}
	for i := range b.N {
		ev := &event.Event{Source: "github", Method: "POST", Body: body, ReceivedAt: t0.Add(time.Duration(i))}
		if _, err := s.Ingest(ctx, ev, routes); err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(time.Hour)
	outcomes := make([]store.Outcome, 0, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		ds, err := s.LeaseEach(ctx, now, store.LeaseLimits{PerDestination: map[string]int{"app": 100}}, time.Minute)
		if err != nil || len(ds) == 0 {
			b.Fatalf("Lease = %d deliveries, %v", len(ds), err)
		}
		outcomes = outcomes[:0]
		for _, d := range ds {
			outcomes = append(outcomes, store.Outcome{
				DeliveryID: d.ID, Lease: d.Lease, Destination: d.Destination, State: event.Succeeded,
				Attempt: event.Attempt{N: 1, StartedAt: now, Duration: time.Millisecond, Status: 200},
			})
		}
		if err := s.Complete(ctx, outcomes); err != nil {
			b.Fatal(err)
		}
		done += len(ds)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
