package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/store/sqlite"
	"github.com/hookgate/hookgate/internal/verify"
)

func parse(t *testing.T, yml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("x.yaml", []byte(yml), config.Options{CheckSource: CheckSource, CheckRoute: CheckRoute})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

const baseYAML = `listen: "127.0.0.1:0"
storage: { driver: sqlite, path: /tmp/a.db }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: "http://127.0.0.1:1/hooks" }
routes:
  - { from: [orders], to: [app] }
`

// needRestart names each changed field that a reload cannot apply, and
// nothing else: sources, destinations, routes and positions are live.
func TestNeedRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"nothing", "", "", nil},
		{"live parts", "", "\n\n", nil}, // lines move: no change
		{"listen", `listen: "127.0.0.1:0"`, `listen: "127.0.0.1:9"`, []string{"listen"}},
		{"storage", "path: /tmp/a.db", "path: /tmp/b.db", []string{"storage.path"}},
		{"server and delivery", `listen: "127.0.0.1:0"`, "listen: \"127.0.0.1:0\"\nserver: { read_timeout: 5s, pid_file: /run/h.pid }\ndelivery: { poll: 2s }", []string{"server.read_timeout", "server.pid_file", "delivery.poll"}},
		{"api", `listen: "127.0.0.1:0"`, "listen: \"127.0.0.1:0\"\napi: { listen: \"127.0.0.1:9090\" }", []string{"api.listen"}},
		{"log", `listen: "127.0.0.1:0"`, "listen: \"127.0.0.1:0\"\nlog: { level: debug }", []string{"log.level"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := parse(t, baseYAML)
			yml := baseYAML
			if tc.from != "" {
				yml = strings.Replace(baseYAML, tc.from, tc.to, 1)
			} else {
				yml = tc.to + baseYAML
			}
			err := needRestart(old, parse(t, yml))
			var got []string
			for _, e := range unjoin(err) {
				var fe *config.FieldError
				if !errors.As(e, &fe) || fe.File != "x.yaml" || !strings.Contains(fe.Error(), "takes a restart") {
					t.Errorf("error %v: want a *config.FieldError in x.yaml saying it takes a restart", e)
					continue
				}
				got = append(got, fe.Field)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffConfigs(t *testing.T) {
	t.Parallel()
	old := parse(t, baseYAML+`  - { from: [orders], to: [app], filter: "type == 'a'" }
`)
	cfg := parse(t, `listen: "127.0.0.1:0"
storage: { driver: sqlite, path: /tmp/a.db }
sources:
  - { name: billing, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: "http://127.0.0.1:2/hooks" }
  - { name: new, url: "http://127.0.0.1:3/hooks" }
routes:
  - { from: [orders], to: [app] }
  - { from: [orders, billing], to: [app, new] }
  - { from: [billing], to: [new] }
`)
	got := diffConfigs(old, cfg).attrs()
	want := []any{
		"sources_added", []string{"billing"},
		"destinations_added", []string{"new"},
		"destinations_changed", []string{"app"},
		"routes_added", []string{"routes[2]"},
		"routes_changed", []string{"routes[1]"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	if got := diffConfigs(cfg, cfg).attrs(); !cmp.Equal(got, []any{"changes", "none"}) {
		t.Errorf("diff of a config with itself = %v, want changes=none", got)
	}
	removed := diffConfigs(cfg, old)
	if diff := cmp.Diff([]string{"billing"}, removed.sources.removed); diff != "" {
		t.Errorf("removed sources (-want +got):\n%s", diff)
	}
}

// sink records the event ids (Webhook-Id) it is sent.
type sink struct {
	srv *httptest.Server
	mu  sync.Mutex
	ids []string
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.ids = append(s.ids, r.Header.Get("Webhook-Id"))
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.ids {
		if v == id {
			return true
		}
	}
	return false
}

// gateway is the live part of a running gateway over a real SQLite store,
// with its ingest handler behind a real HTTP server.
type gateway struct {
	t    *testing.T
	l    *live
	srv  *httptest.Server
	file string
	logs *bytes.Buffer
	mu   *sync.Mutex // guards logs
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func startGateway(t *testing.T, yml string) *gateway {
	t.Helper()
	dir := t.TempDir()
	g := &gateway{t: t, file: filepath.Join(dir, "hookgate.yaml"), logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	g.write(yml)
	load := func() (*config.Config, error) {
		return config.Load(g.file, config.Options{CheckSource: CheckSource, CheckRoute: CheckRoute})
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(lockedWriter{g.mu, g.logs}, nil))
	p, err := NewPlan(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), cfg.Storage.Path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := deliver.New(deliver.Config{Store: st, Targets: p.Targets, Poll: 10 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ing := ingest.New(p.Sources, st, ingest.Options{Notify: w.Notify, Logger: log})
	g.l = newLive(cfg, p, ing, w, st, Options{LoadConfig: load, Stdout: io.Discard}, log)
	if err := w.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", ing)
	g.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		g.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p := g.l.close()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("stop worker: %v", err)
		}
		if err := errors.Join(p.Close(), st.Close()); err != nil {
			t.Error(err)
		}
	})
	return g
}

func (g *gateway) write(yml string) {
	g.t.Helper()
	if err := os.WriteFile(g.file, []byte(yml), 0o600); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gateway) log() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.logs.String()
}

// post sends a signed event to source and returns the status and the
// event id.
func (g *gateway) post(source string) (int, string) {
	g.t.Helper()
	s, err := verify.NewSigner("hmac", verify.Options{Secrets: []string{"s3cret"}, HMAC: verify.HMACOptions{Header: "x-hmac"}})
	if err != nil {
		g.t.Fatal(err)
	}
	u, _ := url.Parse(g.srv.URL + "/in/" + source)
	body := []byte(`{"n":1}`)
	vr := &verify.Request{Method: http.MethodPost, URL: u, Header: http.Header{}, Body: body, Now: time.Now()}
	if err := s.Sign(vr); err != nil {
		g.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	req.Header = vr.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var a ingest.Accepted
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a.ID
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func configText(db string, sources, dests, routes string) string {
	return fmt.Sprintf("listen: \"127.0.0.1:0\"\nstorage: { driver: sqlite, path: %q }\nsources:\n%sdestinations:\n%sroutes:\n%s", db, sources, dests, routes)
}

const (
	ordersSource  = "  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }\n"
	billingSource = "  - { name: billing, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }\n"
)

// A reload that fails (a broken file, a field that takes a restart) says
// why with file:line, and the gateway goes on with the old config; a good
// one adds a source and a destination and changes a route, keeps the
// unchanged destination's pool, and logs what changed.
func TestReload(t *testing.T) {
	t.Parallel()
	app, extra := newSink(t), newSink(t)
	db := filepath.Join(t.TempDir(), "h.db")
	appDest := fmt.Sprintf("  - { name: app, url: %q }\n", app.srv.URL)
	extraDest := fmt.Sprintf("  - { name: extra, url: %q }\n", extra.srv.URL)
	g := startGateway(t, configText(db, ordersSource, appDest, "  - { from: [orders], to: [app] }\n"))
	keptDest := g.l.plan.Targets["app"].Destination

	// (a) A broken file: refused, at its line.
	g.write(configText(db, ordersSource+"  - { name: billing, provider: nope }\n", appDest, "  - { from: [orders], to: [app] }\n"))
	err := g.l.Reload(t.Context())
	if !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), g.file+":5:") {
		t.Errorf("broken config: Reload = %v, want ErrReloadRefused naming %s:5", err, g.file)
	}
	if !strings.Contains(g.log(), `"level":"ERROR","msg":"config reload refused; still serving the previous config"`) {
		t.Errorf("the refusal was not logged at error level:\n%s", g.log())
	}
	// (b) A field that takes a restart, with good changes besides: refused
	// as a whole.
	g.write(strings.Replace(configText(db, ordersSource+billingSource, appDest, "  - { from: [orders, billing], to: [app] }\n"), "127.0.0.1:0", "127.0.0.1:1", 1))
	err = g.l.Reload(t.Context())
	if !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), g.file+": listen: changed, and that takes a restart") {
		t.Errorf("listen changed: Reload = %v, want a refusal naming listen", err)
	}
	if code, _ := g.post("billing"); code != http.StatusNotFound {
		t.Errorf("after refused reloads, billing = %d, want 404 (nothing applied)", code)
	}
	code, id := g.post("orders")
	if code != http.StatusOK {
		t.Fatalf("after refused reloads, orders = %d, want 200", code)
	}
	waitUntil(t, "the old config to deliver", func() bool { return app.has(id) })

	// (c) A good config.
	g.write(configText(db, ordersSource+billingSource, appDest+extraDest,
		"  - { from: [orders], to: [app, extra] }\n  - { from: [billing], to: [extra] }\n"))
	if err := g.l.Reload(t.Context()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	code, bid := g.post("billing")
	if code != http.StatusOK {
		t.Fatalf("after the reload, billing = %d, want 200", code)
	}
	_, oid := g.post("orders")
	waitUntil(t, "billing's event at extra", func() bool { return extra.has(bid) })
	waitUntil(t, "orders' event at app and extra", func() bool { return app.has(oid) && extra.has(oid) })
	if app.has(bid) {
		t.Error("billing's event reached app, which no route sends it to")
	}
	if g.l.plan.Targets["app"].Destination != keptDest {
		t.Error("the unchanged destination was rebuilt, not kept")
	}
	if !strings.Contains(g.log(), `"msg":"config reloaded","sources_added":["billing"],"destinations_added":["extra"],"routes_added":["routes[1]"],"routes_changed":["routes[0]"]`) {
		t.Errorf("no config reloaded line with the changes:\n%s", g.log())
	}

	// (d) Removing a destination: its deliveries stay, logged as orphaned.
	g.write(configText(db, ordersSource+billingSource, appDest, "  - { from: [orders, billing], to: [app] }\n"))
	if err := g.l.Reload(t.Context()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if !strings.Contains(g.log(), `"destination":"extra"`) || !strings.Contains(g.log(), "orphaned") {
		t.Errorf("the removed destination was not logged as orphaned:\n%s", g.log())
	}
	if code, _ := g.post("billing"); code != http.StatusOK {
		t.Errorf("after removing extra, billing = %d, want 200", code)
	}
}
