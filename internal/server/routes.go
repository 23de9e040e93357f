// Package server assembles hookgate's HTTP surface. Every route is listed in
// routes.go; the handlers themselves live in the packages that own them.
package server

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/reply"
)

// Deps are what the routes are built from.
type Deps struct {
	// Ingest serves /in/{source}.
	Ingest http.Handler
	// Ready reports whether the gateway can take events (store writable,
	// config loaded). /readyz answers 503 while it returns an error.
	Ready func(ctx context.Context) error
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Metrics serves Prometheus metrics at GET MetricsPath (default
	// /metrics); nil leaves them out (off, or on the API's listener).
	Metrics     http.Handler
	MetricsPath string
	// UI serves the web UI under /ui/ (ui.UI); nil leaves it out.
	UI http.Handler
	// API serves the management API under /api/v1/ (api.API); nil leaves
	// it out (api.listen serves it).
	API http.Handler
	// Listen serves `hookgate listen` streams at /listen/{destination} and
	// /listen; nil when no listen destination is configured.
	Listen http.Handler
}

// New returns the gateway's root handler.
func New(d Deps) http.Handler {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", d.Ingest)
	if d.Listen != nil {
		mux.Handle("GET /listen/{destination}", d.Listen)
		mux.Handle("GET /listen", d.Listen)
	}
	if d.UI != nil {
		mux.Handle("/ui/", d.UI) // "/ui" redirects here
	}
	if d.API != nil {
		mux.Handle("/api/v1/", d.API)
	}
	if d.Metrics != nil {
		mux.Handle("GET "+cmp.Or(d.MetricsPath, "/metrics"), d.Metrics)
	}
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(d.Ready, log))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply.Error(w, http.StatusNotFound, "not_found", "no such endpoint; sources are served at /in/{source}")
	})
	return mux
}

func healthz(w http.ResponseWriter, r *http.Request) {
	reply.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func readyz(ready func(context.Context) error, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if ready != nil {
			if err := ready(ctx); err != nil {
				log.Warn("not ready", "err", err)
				reply.Error(w, http.StatusServiceUnavailable, "not_ready", "the store cannot take writes")
				return
			}
		}
		reply.JSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}
