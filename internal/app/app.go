// Package app assembles a gateway from a validated config and runs it: it
// opens the store, builds each source's provider and each destination, starts
// the delivery workers and the HTTP server, and on shutdown drains them in
// order (stop accepting, finish acknowledged writes, let in-flight deliveries
// finish up to a deadline, release the rest, close the store).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/retention"
	"github.com/hookgate/hookgate/internal/server"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/postgres"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

// Options are Run's dependencies beyond the config.
type Options struct {
	// Logger receives the gateway's structured logs.
	Logger *slog.Logger
	// Stdout is where the log destination prints events.
	Stdout io.Writer
	// Listening, if set, is called with the address once the listener is
	// open (tests and `--listen 127.0.0.1:0` use it).
	Listening func(addr net.Addr)
	// LoadConfig reads the config file again for a reload, exactly as the
	// config given to Run was read. Nil turns reloading off.
	LoadConfig func() (*config.Config, error)
	// Reload: every signal received reloads the config (serve sends
	// SIGHUP here). See reload.go for what a reload changes. Optional.
	Reload <-chan os.Signal
}

// Run runs the gateway described by cfg until ctx is cancelled, then shuts
// it down gracefully. cfg must come from config.Load (defaults filled,
// validated).
func Run(ctx context.Context, cfg *config.Config, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	p, err := NewPlan(cfg, o.Stdout)
	if err != nil {
		return err
	}
	p.setRouteLogger(log)
	tl, err := newTLS(cfg, log)
	if err != nil {
		return err
	}
	obs, err := newObserve(ctx, cfg, log) // observe.go
	if err != nil {
		return err
	}
	defer obs.shutdown(log)
	st, err := openStoreLog(ctx, cfg.Storage, log, obs.commitHook)
	if err != nil {
		return err
	}
	obs.watchBacklog(st, log)
	worker, err := deliver.New(deliver.Config{
		Store:    st,
		Targets:  p.Targets,
		Batch:    cfg.Delivery.Batch,
		LeaseFor: cfg.Delivery.Lease.D(),
		Poll:     cfg.Delivery.Poll.D(),
		Logger:   log,
		Observer: obs.metrics,
		Tracer:   obs.tracer,
	})
	if err != nil {
		st.Close()
		return fmt.Errorf("delivery workers: %w", err)
	}
	// On a shared database, commits by other nodes wake this node's workers.
	if n, ok := st.(notifier); ok {
		if err := n.Subscribe(ctx, worker.Notify); err != nil {
			st.Close()
			return fmt.Errorf("subscribe to store notifications: %w", err)
		}
	}
	ing := ingest.New(p.Sources, st, ingest.Options{Notify: worker.Notify, Logger: log, Observer: obs.metrics, Tracer: obs.tracer})
	gw := newLive(cfg, p, ing, worker, st, o, log) // gw.Reload reloads the config
	// The management API (api.go), on the main listener or api.listen.
	apiSrv, err := newAPIServer(cfg, gw, st, worker, obs, tl, log)
	if err != nil {
		st.Close()
		return err
	}
	defer apiSrv.closeListener() // if the gateway fails to start
	handler := server.New(server.Deps{
		Ingest: ing,
		Ready:  st.Ping,
		Logger: log,
		Listen: gw.setListenHub(listenHub(p, st, log)), // listen.go
		API:    apiSrv.mainHandler(),                   // nil when api.listen serves it
		UI:     apiSrv.mainUI(),                        // nil when off or on api.listen
		// Metrics: nil when off, or when api.listen serves them (observe.go).
		Metrics:     obs.mainHandler(cfg),
		MetricsPath: cfg.Metrics.Path,
	})
	srv := newHTTPServer(cfg.Server, handler, log)
	ln, err := listen(cfg.Listen, tl)
	if err != nil {
		st.Close()
		return err
	}
	stopACME, err := startACME(cfg, tl, ln.Addr(), log)
	if err != nil {
		ln.Close()
		st.Close()
		return err
	}
	defer stopACME()
	if err := worker.Start(ctx); err != nil {
		ln.Close()
		st.Close()
		return err
	}
	apiSrv.start(log)
	// Retention purges in the background; it stops before the store closes.
	stopRetention := retention.Start(ctx, st, cfg.Retention, retention.SystemClock{}, log)
	log.Info("listening", "addr", ln.Addr().String(), "scheme", scheme(tl), "sources", len(p.Sources), "destinations", len(p.Targets), "storage", cfg.Storage.Driver)
	if o.Listening != nil {
		o.Listening(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	reloadCtx, stopReloads := context.WithCancel(ctx)
	reloads := gw.watch(reloadCtx, o.Reload)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		log.Error("server stopped", "err", serveErr)
	}
	stopReloads()
	<-reloads
	stopRetention()
	return shutdown(cfg.Server.ShutdownTimeout.D(), log, srv, apiSrv, worker, gw, st, serveErr)
}

// shutdown drains in order: the HTTP server (in-flight requests finish, so
// every acknowledged write is committed), then the workers (in-flight
// attempts finish up to the deadline, the rest are released), then the
// destinations' connections, then the store.
func shutdown(timeout time.Duration, log *slog.Logger, srv *http.Server, apiSrv *apiServer, worker *deliver.Worker, gw *live, st store.Store, serveErr error) error {
	log.Info("shutting down", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve: %w", serveErr))
	}
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain requests: %w", err))
	}
	if err := apiSrv.shutdown(ctx); err != nil { // api.listen's requests, then bulk jobs
		errs = append(errs, err)
	}
	p := gw.close() // no reload from here on: the plan in use is final
	if err := worker.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain deliveries: %w", err))
	}
	if err := p.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := st.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	if len(errs) == 0 {
		log.Info("stopped")
	}
	return errors.Join(errs...)
}

// notifier is a store that tells when deliveries may have become due
// elsewhere (postgres: LISTEN/NOTIFY across nodes).
type notifier interface {
	Subscribe(ctx context.Context, f func()) error
}

var _ notifier = (*postgres.Store)(nil)

// openStoreLog opens the store cfg names, with the logger for the store's background work
// (postgres: the notification listener's reconnects) and, when not nil, the
// hook that makes each engine's commit observer (metrics).
func openStoreLog(ctx context.Context, s config.Storage, log *slog.Logger, onCommit func(engine string) func(int, time.Duration)) (store.Store, error) {
	switch s.Driver {
	case "sqlite":
		st, err := sqlite.Open(ctx, s.Path, sqlite.Options{Logger: log, OnCommit: commitHook(onCommit, "sqlite")})
		if err != nil {
			return nil, fmt.Errorf("open storage: %w", err)
		}
		return st, nil
	case "postgres":
		st, err := postgres.Open(ctx, s.DSN, postgres.Options{Logger: log, OnCommit: commitHook(onCommit, "postgres")})
		if err != nil {
			return nil, fmt.Errorf("open storage: %w", err)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("storage driver %q is not available in this build", s.Driver)
	}
}
