// Package tracing exports hookgate's OpenTelemetry traces over OTLP/HTTP and
// carries trace context across the store: the span that received an event
// is written with it as a W3C traceparent, so that every delivery attempt,
// made later and maybe on another node, joins the same trace.
//
// Spans: the ingest request (a server span, continuing the sender's
// traceparent when it sent one), the store commit of its event (a child),
// and each delivery attempt (a client span, a child of the ingest span),
// whose context is forwarded to the destination (traceparent header, or
// message attributes for queues).
//
// # Why these modules
//
// go.opentelemetry.io/otel is the CNCF's reference API and SDK for Go;
// every tracing backend (Jaeger, Tempo, Honeycomb, Datadog, ...) takes
// OTLP, so one exporter serves them all. We use its OTLP/HTTP exporter
// (otlptracehttp, protobuf over plain HTTP), not the gRPC one: no HTTP/2
// connection to keep, and a collector answers both. The SDK's batch span
// processor sends spans in the background, off the request path. Nothing
// here sets OpenTelemetry's global provider or propagator: the tracer is
// passed in, and propagation uses the stateless W3C TraceContext format.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of hookgate's spans.
const Name = "github.com/hookgate/hookgate"

// Config says where spans go. The zero Endpoint turns tracing off.
type Config struct {
	// Endpoint is the collector's OTLP/HTTP address: a URL
	// ("http://127.0.0.1:4318", spans posted to /v1/traces unless it has a
	// path) or host:port (TLS unless Insecure).
	Endpoint string
	// Insecure sends to a host:port Endpoint without TLS.
	Insecure bool
	// SampleRatio is the share of new traces recorded, in (0, 1]. Traces
	// continued from a sender's traceparent follow its decision.
	SampleRatio float64
	// ServiceName is the service.name resource attribute.
	ServiceName string
	// Version, when set, is the service.version resource attribute.
	Version string
}

// Provider makes hookgate's tracer and flushes its spans on Shutdown.
type Provider struct {
	tp *sdktrace.TracerProvider
}

// New returns a Provider exporting to cfg.Endpoint. No connection is made
// until the first batch of spans is sent; export failures are logged to log
// and never fail a request.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Provider, error) {
	opts, err := exporterOptions(cfg)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.ServiceName)}
	if cfg.Version != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.Version))
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, attrs...)
	ratio := cfg.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(loggingExporter{exp, log}),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return &Provider{tp: tp}, nil
}

// Tracer returns the tracer hookgate's packages start spans with.
func (p *Provider) Tracer() trace.Tracer { return p.tp.Tracer(Name) }

// Shutdown sends the spans still buffered and stops the exporter, within
// ctx.
func (p *Provider) Shutdown(ctx context.Context) error {
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flush spans: %w", err)
	}
	return nil
}

// exporterOptions turns cfg into the exporter's options. The exporter's own
// environment variables (OTEL_EXPORTER_OTLP_*) still apply to what these
// leave unset, such as headers.
func exporterOptions(cfg Config) ([]otlptracehttp.Option, error) {
	e := cfg.Endpoint
	if e == "" {
		return nil, errors.New("tracing: no endpoint")
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithTimeout(10 * time.Second)}
	if !strings.Contains(e, "://") {
		opts = append(opts, otlptracehttp.WithEndpoint(e), otlptracehttp.WithURLPath("/v1/traces"))
		if cfg.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		return opts, nil
	}
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracing: endpoint %q: want an http or https URL", e)
	}
	path := u.Path
	if path == "" || path == "/" {
		path = "/v1/traces"
	}
	opts = append(opts, otlptracehttp.WithEndpoint(u.Host), otlptracehttp.WithURLPath(path))
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	return opts, nil
}

// loggingExporter logs failed exports (the SDK would otherwise report them
// to OpenTelemetry's global error handler, which logs with the standard
// library's log package).
type loggingExporter struct {
	sdktrace.SpanExporter
	log *slog.Logger
}

func (e loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil && e.log != nil {
		e.log.Warn("tracing: export spans", "count", len(spans), "err", err)
	}
	return err
}

// TraceParent formats sc as a W3C traceparent header value
// ("00-<trace id>-<span id>-<flags>"), or returns "" when sc is not valid.
func TraceParent(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	var b strings.Builder
	b.Grow(55)
	b.WriteString("00-")
	b.WriteString(sc.TraceID().String())
	b.WriteByte('-')
	b.WriteString(sc.SpanID().String())
	b.WriteByte('-')
	b.WriteString(sc.TraceFlags().String())
	return b.String()
}

// WithParent returns ctx carrying the remote span context that traceparent
// names, so that a span started from it is its child. A malformed or empty
// traceparent leaves ctx as it is.
func WithParent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// Extract returns ctx carrying the span context of an incoming request's
// traceparent (and tracestate) headers, if it has valid ones.
func Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return propagation.TraceContext{}.Extract(ctx, carrier)
}

// Inject writes the span context of ctx into carrier as traceparent (and
// tracestate) entries. It writes nothing when ctx carries no valid span.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	propagation.TraceContext{}.Inject(ctx, carrier)
}

// FromContext returns the traceparent and tracestate values of the span
// in ctx, or empty strings when it carries none: for destinations whose
// messages carry headers of their own (queues).
func FromContext(ctx context.Context) (traceparent, tracestate string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", ""
	}
	return TraceParent(sc), sc.TraceState().String()
}
