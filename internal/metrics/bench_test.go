package metrics

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/verify"
)

// nopStore takes every event at once, so the benchmark measures the
// handler, not a disk.
type nopStore struct{}

func (nopStore) Ingest(_ context.Context, ev *event.Event, _ []store.Route) (store.IngestResult, error) {
	return store.IngestResult{EventID: ev.ID}, nil
}
func (nopStore) Reject(context.Context, event.Rejection) error { return nil }

// BenchmarkIngest runs the ingest handler on a signed 2 KB request without
// and with metrics; the difference is what metrics cost each request.
//
//	go test ./internal/metrics -run '^$' -bench Ingest -benchmem -count 5
func BenchmarkIngest(b *testing.B) {
	secret := "bench-secret"
	opts := verify.Options{Secrets: []string{secret}, HMAC: verify.HMACOptions{Header: "x-hmac"}}
	p, err := verify.New("hmac", opts)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := verify.NewSigner("hmac", opts)
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 2048)
	header := http.Header{"Content-Type": {"application/json"}}
	vr := &verify.Request{Method: http.MethodPost, URL: httptest.NewRequest(http.MethodPost, "/in/orders", nil).URL, Header: header, Body: body, Now: time.Now()}
	if err := signer.Sign(vr); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sources := []ingest.Source{{Name: "orders", Provider: p, MaxBody: 1 << 20}}

	for _, bc := range []struct {
		name string
		obs  ingest.Observer
	}{
		{"off", nil},
		{"metrics", New(Options{Sources: []string{"orders"}, NoRuntime: true})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := ingest.New(sources, nopStore{}, ingest.Options{Logger: log, Observer: bc.obs})
			mux := http.NewServeMux()
			mux.Handle("/in/{source}", h)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/in/orders", bytes.NewReader(body))
				r.Header = header
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkRequest is the observer call alone.
func BenchmarkRequest(b *testing.B) {
	m := New(Options{Sources: []string{"orders"}, NoRuntime: true})
	b.ReportAllocs()
	for b.Loop() {
		m.Request("orders", ingest.VerdictAccepted, time.Millisecond)
	}
}
