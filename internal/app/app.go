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
	"time"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/ingest"
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
	st, err := openStoreLog(ctx, cfg.Storage, log)
	if err != nil {
		return err
	}
	worker, err := deliver.New(deliver.Config{
		Store:    st,
		Targets:  p.Targets,
		Batch:    cfg.Delivery.Batch,
		LeaseFor: cfg.Delivery.Lease.D(),
		Poll:     cfg.Delivery.Poll.D(),
		Logger:   log,
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
	handler := server.New(server.Deps{
		Ingest: ingest.New(p.Sources, st, ingest.Options{Notify: worker.Notify, Logger: log}),
		Ready:  st.Ping,
		Logger: log,
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.D(),
		ReadTimeout:       cfg.Server.ReadTimeout.D(),
		WriteTimeout:      cfg.Server.WriteTimeout.D(),
		IdleTimeout:       cfg.Server.IdleTimeout.D(),
		MaxHeaderBytes:    int(cfg.Server.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		st.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if err := worker.Start(ctx); err != nil {
		ln.Close()
		st.Close()
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "sources", len(p.Sources), "destinations", len(p.Targets), "storage", cfg.Storage.Driver)
	if o.Listening != nil {
		o.Listening(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		log.Error("server stopped", "err", serveErr)
	}
	return shutdown(cfg.Server.ShutdownTimeout.D(), log, srv, worker, p, st, serveErr)
}

// shutdown drains in order: the HTTP server (in-flight requests finish, so
// every acknowledged write is committed), then the workers (in-flight
// attempts finish up to the deadline, the rest are released), then the
// destinations' connections, then the store.
func shutdown(timeout time.Duration, log *slog.Logger, srv *http.Server, worker *deliver.Worker, p *Plan, st store.Store, serveErr error) error {
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

func openStore(ctx context.Context, s config.Storage) (store.Store, error) {
	return openStoreLog(ctx, s, slog.Default())
}

// openStoreLog is openStore with the logger for the store's background work
// (postgres: the notification listener's reconnects).
func openStoreLog(ctx context.Context, s config.Storage, log *slog.Logger) (store.Store, error) {
	switch s.Driver {
	case "sqlite":
		st, err := sqlite.Open(ctx, s.Path, sqlite.Options{})
		if err != nil {
			return nil, fmt.Errorf("open storage: %w", err)
		}
		return st, nil
	case "postgres":
		st, err := postgres.Open(ctx, s.DSN, postgres.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open storage: %w", err)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("storage driver %q is not available in this build", s.Driver)
	}
}
