package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/apitoken"
	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/ui"
)

// newUI builds the web UI over the same store, tokens and worker as the
// management API; it is served where the API is (the main listener, or
// api.listen). It is nil, and not mounted, when no API token is configured:
// nobody could log in.
func newUI(cfg *config.Config, st store.Store, tokens *apitoken.Set, w *deliver.Worker, obs *observe, log *slog.Logger) (http.Handler, error) {
	if tokens.Len() == 0 {
		return nil, nil
	}
	var sources, dests []string
	for _, s := range cfg.Sources {
		sources = append(sources, s.Name)
	}
	for _, d := range cfg.Destinations {
		dests = append(dests, d.Name)
	}
	return ui.New(ui.Deps{
		Store:        st,
		Authenticate: tokens.Authenticate,
		Flow: func(d string) (bool, string) {
			fs, err := w.FlowState(d)
			if err != nil {
				return false, ""
			}
			return fs.Paused, string(fs.Circuit)
		},
		Throughput: func(now time.Time) []ui.Minute {
			hour := obs.metrics.LastHour(now)
			out := make([]ui.Minute, len(hour))
			for i, m := range hour {
				out[i] = ui.Minute{Start: m.Start, Accepted: m.Accepted, Rejected: m.Rejected}
			}
			return out
		},
		Notify:       w.Notify,
		Sources:      sources,
		Destinations: dests,
		SecureCookie: cfg.Server.TLS != nil,
		Logger:       log,
	})
}
