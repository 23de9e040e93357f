// Package server assembles hookgate's HTTP surface. Every route is listed in
// routes.go; the handlers themselves live in the packages that own them.
package server

import (
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
}

// New returns the gateway's root handler.
func New(d Deps) http.Handler {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("/in/{source}", d.Ingest)
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
