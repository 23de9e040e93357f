// Package metrics is hookgate's Prometheus instrumentation: request,
// delivery, backlog and store-commit metrics on a registry of its own
// (never the global one), served by Handler, and a per-minute count of the
// last hour's accepted and refused requests for the web UI's chart.
//
// Metrics is the observer the other packages are handed: ingest.Observer
// (Request), deliver.Observer (Attempted, Dead) and the engines' commit
// hook (Commit). The hot path stays cheap: each source's and destination's
// counters and histograms are looked up once (label values curried) and
// kept in a copy-on-write map read without a lock, so a request costs a map
// lookup, one counter add and one histogram observation, with no
// allocation.
//
// # Why this module
//
// github.com/prometheus/client_golang is Prometheus's own Go client: the
// exposition formats (text and protobuf, with content negotiation, via
// promhttp), the Go runtime and process collectors, and lock-free counters
// and histograms. Rivals: OpenTelemetry's metrics SDK with its Prometheus
// exporter, which wraps this same client behind another layer; or writing
// the text format by hand, which the runtime collectors alone make not worth
// it.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/store"
)

var (
	_ ingest.Observer  = (*Metrics)(nil)
	_ deliver.Observer = (*Metrics)(nil)
)

// Backlog is what the queue gauges read from the store. Engines that
// implement store.Query satisfy it.
type Backlog interface {
	DestinationStats(ctx context.Context, now time.Time) ([]store.DestinationStats, error)
}

// Options configure New. The zero value is usable.
type Options struct {
	// Sources and Destinations are the configured names: their series are
	// made at once (at zero), so rates work from the first scrape. Others
	// are added when first seen.
	Sources      []string
	Destinations []string
	// Backlog, when set, feeds hookgate_queue_depth and
	// hookgate_queue_oldest_due_seconds (or see AddBacklog).
	Backlog Backlog
	// BacklogTTL is how long one answer from Backlog is reused, so that
	// scrapes never hammer the store. Default 5s.
	BacklogTTL time.Duration
	// BacklogTimeout bounds one Backlog call. Default 2s.
	BacklogTimeout time.Duration
	// Now is the clock (per-minute counts, backlog ages). Default time.Now.
	Now func() time.Time
	// Logger receives backlog query failures. Default slog.Default().
	Logger *slog.Logger
	// NoRuntime leaves out the Go runtime and process collectors (tests).
	NoRuntime bool
}

// Metrics holds hookgate's metrics. Build it with New; its methods are safe
// for concurrent use.
type Metrics struct {
	reg  *prometheus.Registry
	now  func() time.Time
	opts Options

	requests    *prometheus.CounterVec
	ingestTime  *prometheus.HistogramVec
	attempts    *prometheus.CounterVec
	deliverTime *prometheus.HistogramVec
	dead        *prometheus.CounterVec
	commitSize  *prometheus.HistogramVec
	commitTime  *prometheus.HistogramVec

	// sources and dests are copy-on-write: read without a lock, replaced
	// whole under mu when a name is first seen.
	mu      sync.Mutex
	sources atomic.Pointer[map[string]*sourceSeries]
	dests   atomic.Pointer[map[string]*destSeries]

	hour minutes
}

// sourceSeries are one source's curried series.
type sourceSeries struct {
	verdicts []prometheus.Counter // by ingest.Verdict
	duration prometheus.Observer
}

// destSeries are one destination's curried series.
type destSeries struct {
	succeeded, retry, dead prometheus.Counter // attempts by outcome
	duration               prometheus.Observer
	deadLetters            prometheus.Counter
}

// Outcome label values of hookgate_delivery_attempts_total.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeRetry     = "retry"
	OutcomeDead      = "dead"
)

// New returns Metrics registered on a registry of its own.
func New(o Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: o.Now, opts: o}
	if m.now == nil {
		m.now = time.Now
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookgate_ingest_requests_total",
		Help: "Requests to /in/{source}, by source (empty for an unknown source) and verdict.",
	}, []string{"source", "verdict"})
	m.ingestTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hookgate_ingest_duration_seconds",
		Help:    "Time from receiving a request to its answer, by source, store commit included.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5ms to 4s
	}, []string{"source"})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookgate_delivery_attempts_total",
		Help: "Delivery attempts, by destination and outcome (succeeded, retry, dead).",
	}, []string{"destination", "outcome"})
	m.deliverTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hookgate_delivery_duration_seconds",
		Help:    "Duration of delivery attempts, by destination.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16), // 1ms to 33s
	}, []string{"destination"})
	m.dead = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookgate_dead_letters_total",
		Help: "Deliveries that became dead (attempts used up, a permanent failure, or past max_age), by destination.",
	}, []string{"destination"})
	m.commitSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hookgate_store_commit_batch_size",
		Help:    "Write requests per committed store transaction (group commit), by engine.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 to 1024
	}, []string{"engine"})
	m.commitTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hookgate_store_commit_duration_seconds",
		Help:    "Duration of committed store transactions, fsync included, by engine.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 15), // 0.1ms to 1.6s
	}, []string{"engine"})
	m.reg.MustRegister(m.requests, m.ingestTime, m.attempts, m.deliverTime, m.dead, m.commitSize, m.commitTime)
	if !o.NoRuntime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if o.Backlog != nil {
		m.reg.MustRegister(newBacklogCollector(o, m.now))
	}
	m.opts.Backlog = o.Backlog
	m.sources.Store(&map[string]*sourceSeries{})
	m.dests.Store(&map[string]*destSeries{})
	m.source("") // unknown sources
	for _, s := range o.Sources {
		m.source(s)
	}
	for _, d := range o.Destinations {
		m.dest(d)
	}
	return m
}

// AddBacklog feeds the queue gauges from b, for a store opened after New
// (the store takes Commit's hook when it opens). It fails if the gauges
// already have a source.
func (m *Metrics) AddBacklog(b Backlog) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.opts.Backlog != nil {
		return errors.New("metrics: backlog already added")
	}
	o := m.opts
	o.Backlog = b
	if err := m.reg.Register(newBacklogCollector(o, m.now)); err != nil {
		return fmt.Errorf("metrics: add backlog: %w", err)
	}
	m.opts.Backlog = b
	return nil
}

// Handler serves the metrics in Prometheus's exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gatherer returns the registry, for tests and other exporters.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Request records one ingest request (ingest.Observer).
func (m *Metrics) Request(source string, v ingest.Verdict, d time.Duration) {
	s := m.source(source)
	if int(v) < len(s.verdicts) {
		s.verdicts[v].Inc()
	}
	s.duration.Observe(d.Seconds())
	switch {
	case v == ingest.VerdictAccepted:
		m.hour.add(m.now(), 1, 0)
	case v.Refused():
		m.hour.add(m.now(), 0, 1)
	}
}

// Attempted records one delivery attempt (deliver.Observer).
func (m *Metrics) Attempted(dest string, outcome event.State, d time.Duration) {
	s := m.dest(dest)
	switch outcome {
	case event.Succeeded:
		s.succeeded.Inc()
	case event.Pending:
		s.retry.Inc()
	default:
		s.dead.Inc()
	}
	s.duration.Observe(d.Seconds())
}

// Dead records a delivery that became dead (deliver.Observer).
func (m *Metrics) Dead(dest string) { m.dest(dest).deadLetters.Inc() }

// Commit returns the commit hook for an engine's Options.OnCommit:
// engine is the label value ("sqlite", "postgres").
func (m *Metrics) Commit(engine string) func(batch int, took time.Duration) {
	size, took := m.commitSize.WithLabelValues(engine), m.commitTime.WithLabelValues(engine)
	return func(batch int, d time.Duration) {
		size.Observe(float64(batch))
		took.Observe(d.Seconds())
	}
}

// source returns name's series, making them on first use.
func (m *Metrics) source(name string) *sourceSeries {
	if s, ok := (*m.sources.Load())[name]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.sources.Load()
	if s, ok := old[name]; ok {
		return s
	}
	vs := ingest.Verdicts()
	s := &sourceSeries{verdicts: make([]prometheus.Counter, len(vs)), duration: m.ingestTime.WithLabelValues(name)}
	for _, v := range vs {
		s.verdicts[v] = m.requests.WithLabelValues(name, v.String())
	}
	next := make(map[string]*sourceSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = s
	m.sources.Store(&next)
	return s
}

// dest returns name's series, making them on first use.
func (m *Metrics) dest(name string) *destSeries {
	if s, ok := (*m.dests.Load())[name]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.dests.Load()
	if s, ok := old[name]; ok {
		return s
	}
	s := &destSeries{
		succeeded:   m.attempts.WithLabelValues(name, OutcomeSucceeded),
		retry:       m.attempts.WithLabelValues(name, OutcomeRetry),
		dead:        m.attempts.WithLabelValues(name, OutcomeDead),
		duration:    m.deliverTime.WithLabelValues(name),
		deadLetters: m.dead.WithLabelValues(name),
	}
	next := make(map[string]*destSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = s
	m.dests.Store(&next)
	return s
}
