package ui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/route"
	"github.com/hookgate/hookgate/internal/server"
	"github.com/hookgate/hookgate/internal/store/sqlite"
	"github.com/hookgate/hookgate/internal/ui"
	"github.com/hookgate/hookgate/internal/verify"
)

// gateway is the receive path, a delivery worker and the UI over one real
// SQLite store, delivering over HTTP to a local sink: /ok answers 200,
// /fail 503.
type gateway struct {
	url   string
	store *sqlite.Store
	sink  *sink
}

// sink counts the deliveries it gets.
type sink struct {
	mu  sync.Mutex
	got map[string]int // path -> requests
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.got[r.URL.Path]++
	s.mu.Unlock()
	w.Header().Set("X-Sink", "yes")
	if r.URL.Path == "/fail" {
		http.Error(w, "sink says no", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"received":true}`)
}

func (s *sink) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[path]
}

// throughput counts /in/ answers per minute: 2xx accepted, the rest
// rejected (the metrics package's counter stands here).
type throughput struct {
	mu      sync.Mutex
	minutes map[time.Time]*ui.Minute
}

func (tp *throughput) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		start := time.Now().Truncate(time.Minute)
		tp.mu.Lock()
		defer tp.mu.Unlock()
		m := tp.minutes[start]
		if m == nil {
			m = &ui.Minute{Start: start}
			tp.minutes[start] = m
		}
		if rec.status < 300 {
			m.Accepted++
		} else {
			m.Rejected++
		}
	})
}

func (tp *throughput) last(now time.Time) []ui.Minute {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var out []ui.Minute
	for _, m := range tp.minutes {
		if now.Sub(m.Start) < time.Hour {
			out = append(out, *m)
		}
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func startGateway(t *testing.T) *gateway {
	t.Helper()
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	sk := &sink{got: map[string]int{}}
	sinkSrv := httptest.NewServer(sk)
	t.Cleanup(sinkSrv.Close)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookgate.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	target := func(path string, attempts int) deliver.Target {
		d, err := destination.NewHTTP(destination.HTTPConfig{URL: sinkSrv.URL + path, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return deliver.Target{Destination: d, Policy: deliver.Policy{MaxAttempts: attempts, Initial: 100 * time.Millisecond, Max: time.Second}}
	}
	worker, err := deliver.New(deliver.Config{
		Store:   st,
		Targets: map[string]deliver.Target{"app": target("/ok", 5), "audit": target("/fail", 1)},
		Poll:    100 * time.Millisecond,
		Logger:  log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := worker.Stop(sctx); err != nil {
			t.Errorf("stop worker: %v", err)
		}
	})

	prov, err := verify.New("github", verify.Options{Secrets: []string{githubSecret}})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := route.Compile(route.Spec{Name: "browser-test", To: []string{"app", "audit"}})
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New([]ingest.Source{{
		Name: "github", Provider: prov, MaxBody: 1 << 20,
		Router: route.NewRouter("github", []*route.Route{rt}, route.Options{Logger: log}),
	}}, st, ingest.Options{Notify: worker.Notify, Logger: log})

	tp := &throughput{minutes: map[time.Time]*ui.Minute{}}
	u, err := ui.New(ui.Deps{
		Store: st,
		Authenticate: func(token string) (string, string, bool) {
			return "browser", ui.ScopeAdmin, token == adminToken
		},
		Flow: func(dest string) (bool, string) {
			fs, err := worker.FlowState(dest)
			if err != nil {
				return false, ""
			}
			return fs.Paused, string(fs.Circuit)
		},
		Throughput:   tp.last,
		Notify:       worker.Notify,
		Sources:      []string{"github"},
		Destinations: []string{"app", "audit"},
		Poll:         300 * time.Millisecond,
		Logger:       log,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Deps{Ingest: tp.wrap(in), UI: u, Ready: st.Ping, Logger: log}))
	t.Cleanup(srv.Close)
	return &gateway{url: srv.URL, store: st, sink: sk}
}

// send posts a GitHub push event, signed with sig (a good signature when
// empty), and returns the status and the event id hookgate answered with.
func (g *gateway) send(t *testing.T, body, sig string) (int, string) {
	t.Helper()
	if sig == "" {
		m := hmac.New(sha256.New, []byte(githubSecret))
		m.Write([]byte(body))
		sig = "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/in/github?via=browser-test", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Github-Event", "push")
	req.Header.Set("X-Github-Delivery", event.NewID())
	req.Header.Set("X-Hub-Signature-256", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a struct{ ID string }
	_ = json.NewDecoder(res.Body).Decode(&a)
	return res.StatusCode, a.ID
}
