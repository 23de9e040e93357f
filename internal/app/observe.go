package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/metrics"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/tracing"
)

// observe holds the gateway's metrics and tracing, as configured.
type observe struct {
	// metrics is always kept (the web UI's chart reads it) even when the
	// endpoint is off.
	metrics *metrics.Metrics
	// tracer is nil when tracing is off.
	tracer   trace.Tracer
	provider *tracing.Provider
	cfg      config.Metrics
}

// newObserve builds metrics and, when configured, the trace exporter.
func newObserve(ctx context.Context, cfg *config.Config, log *slog.Logger) (*observe, error) {
	o := &observe{cfg: cfg.Metrics}
	o.metrics = metrics.New(metrics.Options{
		Sources:      names(cfg.Sources, func(s config.Source) string { return s.Name }),
		Destinations: names(cfg.Destinations, func(d config.Destination) string { return d.Name }),
		Logger:       log,
	})
	if cfg.Tracing.On() {
		t := cfg.Tracing
		p, err := tracing.New(ctx, tracing.Config{
			Endpoint:    t.OTLPEndpoint,
			Insecure:    t.Insecure,
			SampleRatio: float64(t.SampleRatio),
			ServiceName: t.ServiceName,
		}, log)
		if err != nil {
			return nil, fmt.Errorf("tracing: %w", err)
		}
		o.provider, o.tracer = p, p.Tracer()
		log.Info("tracing on", "otlp_endpoint", t.OTLPEndpoint, "sample_ratio", float64(t.SampleRatio))
	}
	return o, nil
}

// watchBacklog feeds the queue gauges from st, when the engine answers
// DestinationStats (the store opens after the metrics: it takes their
// commit hook).
func (o *observe) watchBacklog(st store.Store, log *slog.Logger) {
	b, ok := st.(metrics.Backlog)
	if !ok {
		log.Info("metrics: this storage engine does not report backlogs; hookgate_queue_* left out")
		return
	}
	if err := o.metrics.AddBacklog(b); err != nil {
		log.Error("metrics: queue gauges", "err", err)
	}
}

// commitHook is the engines' Options.OnCommit for engine.
func (o *observe) commitHook(engine string) func(int, time.Duration) {
	return o.metrics.Commit(engine)
}

// handler is the metrics handler, or nil when metrics are off.
func (o *observe) handler() http.Handler {
	if !o.cfg.On() {
		return nil
	}
	return o.metrics.Handler()
}

// mainHandler is the metrics handler for the main listener: nil when
// metrics are off, or when api.listen is set (the API's listener serves
// them, at the same path: see apiHandler).
func (o *observe) mainHandler(cfg *config.Config) http.Handler {
	if cfg.API.Listen != "" {
		return nil
	}
	return o.handler()
}

// apiHandler serves the metrics at their path on the API's own listener
// (api.listen) and everything else with api.
func (o *observe) apiHandler(api http.Handler) http.Handler {
	h := o.handler()
	if h == nil {
		return api
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+cmp.Or(o.cfg.Path, "/metrics"), h)
	mux.Handle("/", api)
	return mux
}

// shutdown flushes the spans still buffered.
func (o *observe) shutdown(log *slog.Logger) {
	if o.provider == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.provider.Shutdown(ctx); err != nil {
		log.Warn("tracing: flush spans on shutdown", "err", err)
	}
}

// commitHook makes engine's commit observer with hook, nil if hook is.
func commitHook(hook func(engine string) func(int, time.Duration), engine string) func(int, time.Duration) {
	if hook == nil {
		return nil
	}
	return hook(engine)
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}
