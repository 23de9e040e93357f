package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/apitoken"
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/tlsconf"
)

// apiServer is the management API and, when api.listen is set, the
// listener that serves it alone (with the metrics, when they are on).
type apiServer struct {
	api *api.API
	// ui is the web UI, nil when no token is configured (ui.go).
	ui http.Handler
	// srv and ln are nil when the API is served on the main listener.
	srv    *http.Server
	ln     net.Listener
	served chan error
}

// newAPIServer builds the API over the live gateway (its sources and
// destinations follow reloads) and opens api.listen when set.
func newAPIServer(cfg *config.Config, gw *live, st store.Store, w *deliver.Worker, obs *observe, tl *tlsconf.TLS, log *slog.Logger) (*apiServer, error) {
	tokens, err := apitoken.New(cfg.API.Tokens)
	if err != nil {
		return nil, err
	}
	a := api.New(api.Deps{
		Store:  st,
		Tokens: tokens,
		Flow:   w,
		Sources: func() []string {
			var names []string
			for _, s := range gw.Config().Sources {
				names = append(names, s.Name)
			}
			return names
		},
		Destinations: func() []api.Destination {
			var ds []api.Destination
			for _, d := range gw.Config().Destinations {
				ds = append(ds, api.Destination{Name: d.Name, Type: d.Type})
			}
			return ds
		},
		Reload: gw.Reload,
		Notify: w.Notify,
		Logger: log,
	})
	if tokens.Len() == 0 {
		log.Info("management API and web UI off: no api.tokens configured")
	}
	u, err := newUI(cfg, st, tokens, w, obs, log)
	if err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	s := &apiServer{api: a}
	if u != nil {
		s.ui = u
	}
	if cfg.API.Listen == "" {
		return s, nil
	}
	if s.ln, err = listen(cfg.API.Listen, tl); err != nil {
		return nil, fmt.Errorf("api.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", a)
	if s.ui != nil {
		mux.Handle("/ui/", s.ui)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply.Error(w, http.StatusNotFound, "not_found", "no such endpoint; this listener serves the management API at "+api.Prefix+" and the web UI at /ui/")
	})
	s.srv = newHTTPServer(cfg.Server, obs.apiHandler(mux), log)
	return s, nil
}

// mainHandler is what the main listener mounts at /api/v1/: the API, or
// nil when api.listen serves it.
func (s *apiServer) mainHandler() http.Handler {
	if s.srv != nil {
		return nil
	}
	return s.api
}

// mainUI is what the main listener mounts at /ui/: the web UI, or nil when
// it is off or api.listen serves it.
func (s *apiServer) mainUI() http.Handler {
	if s.srv != nil {
		return nil
	}
	return s.ui
}

// start serves api.listen, if set.
func (s *apiServer) start(log *slog.Logger) {
	if s.srv == nil {
		return
	}
	log.Info("management API listening", "addr", s.ln.Addr().String())
	s.served = make(chan error, 1)
	go func() { s.served <- s.srv.Serve(s.ln) }()
}

// closeListener closes api.listen's listener when the gateway fails to
// start after it was opened.
func (s *apiServer) closeListener() {
	if s.ln != nil && s.served == nil {
		s.ln.Close()
	}
}

// shutdown drains api.listen's requests, then stops the bulk jobs.
func (s *apiServer) shutdown(ctx context.Context) error {
	var errs []error
	if s.served != nil {
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain api requests: %w", err))
		}
		if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve api: %w", err))
		}
	}
	if err := s.api.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop api jobs: %w", err))
	}
	return errors.Join(errs...)
}
