package ingest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/verify"
)

// discardStore stores nothing: BenchmarkServeHTTP measures the handler's
// own cost (reading, verifying, building the event, answering), which the
// store's benchmarks do not include.
type discardStore struct{}

func (discardStore) Ingest(_ context.Context, ev *event.Event, _ []store.Route) (store.IngestResult, error) {
	return store.IngestResult{EventID: ev.ID}, nil
}

func (discardStore) Reject(context.Context, event.Rejection) error { return nil }

// BenchmarkServeHTTP serves a signed 2 KB GitHub delivery, as the ingest
// benchmark (`hookgate bench`) sends it, through the handler.
func BenchmarkServeHTTP(b *testing.B) {
	opts := verify.Options{Secrets: []string{"bench-secret"}}
	p, err := verify.New("github", opts)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := verify.NewSigner("github", opts)
	if err != nil {
		b.Fatal(err)
	}
	h := New([]Source{{Name: "github", Provider: p, MaxBody: 1 << 20, Router: staticRouter{"app"}}}, discardStore{}, Options{})
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", h)

	body := append([]byte(`{"data":"`), bytes.Repeat([]byte("x"), 2048-11)...)
	body = append(body, `"}`...)
	signed := http.Header{}
	if err := signer.Sign(&verify.Request{Method: http.MethodPost, Header: signed, Body: body, Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// What net/http would have built from the wire.
		i++
		r := httptest.NewRequest(http.MethodPost, "/in/github", bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header = signed.Clone()
		r.Header["Content-Type"] = []string{"application/json"}
		r.Header["X-Github-Event"] = []string{"push"}
		r.Header["X-Github-Delivery"] = []string{fmt.Sprintf("delivery-%d", i)}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
