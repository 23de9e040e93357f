// Package apitest runs the management API for tests, over real parts: a
// SQLite store in the test's temporary folder, a delivery worker sending
// real HTTP to a local sink, and an httptest server on 127.0.0.1. The api
// and cli tests share it.
package apitest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/apitoken"
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

// The tokens every Server accepts.
const (
	ReadToken  = "read-token-0123456789abcdef"
	AdminToken = "admin-token-0123456789abcdef"
)

// Options shape a Server.
type Options struct {
	// Sources are the configured sources' names.
	Sources []string
	// Destinations are the configured destinations' names; each is an http
	// destination to the Server's sink, tried once (max_attempts 1).
	Destinations []string
	// Reload is passed to the API.
	Reload func(ctx context.Context) error
	// NoTokens turns the API off.
	NoTokens bool
}

// Server is a running management API.
type Server struct {
	// URL is the API server's base URL (no path).
	URL    string
	Store  *sqlite.Store
	Worker *deliver.Worker
	API    *api.API
	// Sink receives every delivery.
	Sink *Sink
}

// Start runs a Server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookgate.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sink := newSink(t)
	targets := map[string]deliver.Target{}
	var dests []api.Destination
	for _, name := range o.Destinations {
		d, err := destination.NewHTTP(destination.HTTPConfig{URL: sink.URL + "/" + name, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		targets[name] = deliver.Target{Destination: d, Timeout: 2 * time.Second,
			Policy: deliver.Policy{MaxAttempts: 1, Initial: 10 * time.Millisecond, Max: 10 * time.Millisecond}}
		dests = append(dests, api.Destination{Name: name, Type: "http"})
	}
	w, err := deliver.New(deliver.Config{Store: st, Targets: targets, LeaseFor: 10 * time.Second, Poll: 20 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		w.Stop(sctx)
	})
	var tokens []config.APIToken
	if !o.NoTokens {
		tokens = []config.APIToken{{Name: "ci", Token: ReadToken, Scope: "read"}, {Name: "ops", Token: AdminToken, Scope: "admin"}}
	}
	set, err := apitoken.New(tokens)
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(api.Deps{
		Store: st, Tokens: set, Flow: w, Reload: o.Reload, Notify: w.Notify, Logger: log,
		Sources:      func() []string { return o.Sources },
		Destinations: func() []api.Destination { return dests },
	})
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		a.Close(cctx)
	})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Store: st, Worker: w, API: a, Sink: sink}
}

// Ingest stores an event from source received at, routed to dests, and
// wakes the worker. It returns the event's id.
func (s *Server) Ingest(t testing.TB, ev *event.Event, dests ...string) string {
	t.Helper()
	if ev.ID == "" {
		ev.ID = event.NewID()
	}
	if ev.Method == "" {
		ev.Method = http.MethodPost
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = time.Now()
	}
	var routes []store.Route
	for _, d := range dests {
		routes = append(routes, store.Route{Destination: d})
	}
	if _, err := s.Store.Ingest(context.Background(), ev, routes); err != nil {
		t.Fatal(err)
	}
	s.Worker.Notify()
	return ev.ID
}

// WaitDeliveries waits until n deliveries matching f exist (Limit aside).
func (s *Server) WaitDeliveries(t testing.TB, f store.DeliveryFilter, n int) {
	t.Helper()
	f.Limit = 100000
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, err := s.Store.Deliveries(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries match %+v after 20s, want %d", len(ds), f, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Sink is the destinations' HTTP server: it answers 500 while failing,
// else 200, and counts requests by destination.
type Sink struct {
	URL  string
	fail atomic.Bool
	mu   sync.Mutex
	got  map[string]int
}

func newSink(t testing.TB) *Sink {
	s := &Sink{got: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.got[strings.TrimPrefix(r.URL.Path, "/")]++
		s.mu.Unlock()
		if s.fail.Load() {
			w.Header().Set("X-Api-Key", "sink-secret")
			http.Error(w, "down for a test", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Fail makes the sink answer 500 (true) or 200 (false).
func (s *Sink) Fail(fail bool) { s.fail.Store(fail) }

// Count returns how many requests dest got.
func (s *Sink) Count(dest string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[dest]
}
