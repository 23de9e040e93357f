package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/ingest"
	listendest "github.com/hookgate/hookgate/internal/listen"
	"github.com/hookgate/hookgate/internal/store"
)

// ErrReloadRefused is wrapped by every error of a reload that was refused:
// the new config did not load, did not build, or changes a field that
// takes a restart. The gateway then goes on with the config it had.
var ErrReloadRefused = errors.New("config reload refused; still serving the previous config")

// live is the part of a running gateway a reload changes: the config and
// the plan in use, and the ingest handler and delivery worker they feed.
type live struct {
	// load reads the config file again; nil when reloading is off.
	load   func() (*config.Config, error)
	stdout io.Writer
	ingest *ingest.Handler
	worker *deliver.Worker
	store  any // asked for DestinationStats, when it has them
	log    *slog.Logger
	// hub serves the listen destinations' streams; nil when the gateway
	// started without any (then GET /listen is not routed).
	hub *listendest.Hub

	// cfg is the config in use, for readers outside the reload.
	cfg atomic.Pointer[config.Config]

	mu     sync.Mutex // one reload at a time
	plan   *Plan      // the plan in use (mu)
	closed bool       // shutting down: no more reloads (mu)
}

func newLive(cfg *config.Config, p *Plan, ing *ingest.Handler, w *deliver.Worker, st any, o Options, log *slog.Logger) *live {
	l := &live{load: o.LoadConfig, stdout: o.Stdout, ingest: ing, worker: w, store: st, log: log, plan: p}
	l.cfg.Store(cfg)
	return l
}

// Config returns the config in use.
func (l *live) Config() *config.Config { return l.cfg.Load() }

// Reload reads the config file again and, if it loads, builds, and changes
// nothing that takes a restart, switches the gateway to it: the ingest
// handler serves the new sources and routes from the next request on, and
// the delivery worker delivers to the new destinations (see
// deliver.Worker.SetTargets). Otherwise it logs why at error level and
// returns an error wrapping ErrReloadRefused, and nothing changes.
func (l *live) Reload(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.reload(ctx); err != nil {
		l.log.Error("config reload refused; still serving the previous config", "err", err.Error())
		return fmt.Errorf("%w:\n%w", ErrReloadRefused, err)
	}
	return nil
}

func (l *live) reload(ctx context.Context) error {
	switch {
	case l.closed:
		return errors.New("the gateway is shutting down")
	case l.load == nil:
		return errors.New("this gateway was started without a config file to reload")
	}
	old := l.cfg.Load()
	cfg, err := l.load()
	if err != nil {
		return err
	}
	if err := needRestart(old, cfg); err != nil {
		return err
	}
	p, err := NewPlan(cfg, l.stdout)
	if err != nil {
		closeLogged(p.Targets, l.log)
		return err
	}
	p.setRouteLogger(l.log)
	if err := l.checkListen(cfg); err != nil {
		closeLogged(p.Targets, l.log)
		return err
	}
	fresh := reuseDestinations(l.plan, old, p, cfg, l.log)
	// New and changed destinations first, removed ones kept for now: a
	// request the new routes send to a new destination finds it.
	both := make(map[string]deliver.Target, len(p.Targets)+len(l.plan.Targets))
	for name, t := range l.plan.Targets {
		both[name] = t
	}
	for name, t := range p.Targets {
		both[name] = t
	}
	if err := l.worker.SetTargets(both); err != nil {
		closeLogged(fresh, l.log)
		return err
	}
	if l.hub != nil {
		l.hub.Set(listenDestinations(p)...)
	}
	l.ingest.SetSources(p.Sources)
	if err := l.worker.SetTargets(p.Targets); err != nil {
		// Only a stopped worker refuses targets it already has; Run keeps
		// reloads and Stop apart, so this is not expected.
		l.log.Error("remove destinations after a reload", "err", err)
	}
	l.plan = p
	l.cfg.Store(cfg)
	d := diffConfigs(old, cfg)
	l.log.Info("config reloaded", d.attrs()...)
	l.logOrphans(ctx, d.destinations.removed)
	return nil
}

// setListenHub keeps h, the listen destinations' hub (listenHub), for
// reloads to update, and returns it.
func (l *live) setListenHub(h http.Handler) http.Handler {
	l.hub, _ = h.(*listendest.Hub)
	return h
}

// checkListen refuses listen destinations when the gateway started
// without any: it does not serve their streams.
func (l *live) checkListen(cfg *config.Config) error {
	if l.hub != nil {
		return nil
	}
	var errs []error
	for i, d := range cfg.Destinations {
		if d.Type == "listen" {
			errs = append(errs, &config.FieldError{File: cfg.File, Line: d.Line, Field: fmt.Sprintf("destinations[%d]", i),
				Err: errors.New("a listen destination takes a restart when hookgate started without one (it does not serve /listen yet): nothing was applied")})
		}
	}
	return errors.Join(errs...)
}

// close ends reloading, waiting for a reload in progress; Run calls it
// before it stops the worker. It returns the plan in use, for Run to close
// once the worker has stopped.
func (l *live) close() *Plan {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return l.plan
}

// watch reloads on every signal from sigs until ctx is done. The caller
// waits on the returned channel.
func (l *live) watch(ctx context.Context, sigs <-chan os.Signal) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-sigs:
				l.log.Info("reloading the config", "signal", sig.String())
				_ = l.Reload(ctx) // logged either way
			}
		}
	}()
	return done
}

// reuseDestinations puts in p the targets of l's plan (old) whose config
// did not change, so that the worker keeps their pools, connections and
// flow state, and closes the ones p had built for them. It returns the
// targets p built and uses.
func reuseDestinations(cur *Plan, old *config.Config, p *Plan, cfg *config.Config, log *slog.Logger) map[string]deliver.Target {
	was := make(map[string]config.Destination, len(old.Destinations))
	for _, d := range old.Destinations {
		was[d.Name] = d
	}
	fresh := make(map[string]deliver.Target, len(p.Targets))
	unused := map[string]deliver.Target{}
	for _, d := range cfg.Destinations {
		t, ok := p.Targets[d.Name]
		if !ok {
			continue
		}
		prev, had := was[d.Name]
		kept, running := cur.Targets[d.Name]
		if had && running && equalIgnoringLines(prev, d) {
			unused[d.Name] = t
			p.Targets[d.Name] = kept
			continue
		}
		fresh[d.Name] = t
	}
	closeLogged(unused, log)
	return fresh
}

// closeLogged closes the destinations of targets that are io.Closers, none
// of which is in use.
func closeLogged(targets map[string]deliver.Target, log *slog.Logger) {
	if err := (&Plan{Targets: targets}).Close(); err != nil {
		log.Warn("reload: close destinations built and not used", "err", err)
	}
}

// stats is a store that sums up deliveries per destination.
type stats interface {
	DestinationStats(ctx context.Context, now time.Time) ([]store.DestinationStats, error)
}

// logOrphans warns about removed destinations: their stored deliveries
// stay pending (the worker records a "destination not configured" attempt
// now and then, with backoff) until a destination of that name is
// configured again; `hookgate dead`/replay can move them elsewhere.
func (l *live) logOrphans(ctx context.Context, removed []string) {
	if len(removed) == 0 {
		return
	}
	pending := map[string]int{}
	if s, ok := l.store.(stats); ok {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if all, err := s.DestinationStats(ctx, time.Now()); err == nil {
			for _, st := range all {
				pending[st.Destination] = st.Pending
			}
		}
	}
	for _, name := range removed {
		l.log.Warn("destination removed; its pending deliveries stay in the store (orphaned) until a destination of that name is configured again",
			"destination", name, "pending", pending[name])
	}
}
