package deliver

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/event"
)

// observed is a hand-written Observer.
type observed struct {
	mu  sync.Mutex
	got []string
}

func (o *observed) Attempted(dest string, outcome event.State, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, fmt.Sprintf("%s:%s", dest, outcome))
}

func (o *observed) Dead(dest string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, dest+":dead-letter")
}

func (o *observed) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.got, " ")
}

// TestObserverAndSpans runs a delivery that fails, then dies, and checks
// what the observer was told and that each attempt was a client span, a
// child of the span named by the event's traceparent, whose context the
// destination received.
func TestObserverAndSpans(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	s := newSink(t, 503, 500)
	obs := &observed{}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	w := newWorker(t, st, clk, map[string]Target{"app": s.target(t, Policy{MaxAttempts: 2, Initial: time.Second, Max: time.Minute})},
		func(c *Config) { c.Observer, c.Tracer = obs, tp.Tracer("test") })
	ev := testEvent("ev1", t0)
	ev.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	st.add(ev, "app")
	round(t, w)
	clk.Advance(time.Hour)
	round(t, w)

	if got, want := obs.String(), "app:pending app:dead app:dead-letter"; got != want {
		t.Errorf("observed %q, want %q", got, want)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	seen := s.requests()
	for i, sp := range spans {
		if sp.SpanKind() != trace.SpanKindClient || sp.Name() != "deliver app" {
			t.Errorf("span %d: %s %v, want client span \"deliver app\"", i, sp.Name(), sp.SpanKind())
		}
		if got := sp.Parent().SpanID().String(); got != "00f067aa0ba902b7" || sp.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("span %d: parent %s in trace %s, want the event's span", i, got, sp.SpanContext().TraceID())
		}
		want := fmt.Sprintf("00-%s-%s-01", sp.SpanContext().TraceID(), sp.SpanContext().SpanID())
		if got := seen[i].Get("Traceparent"); got != want {
			t.Errorf("attempt %d sent traceparent %q, want its span's %q", i+1, got, want)
		}
	}
}

// TestNoTracerSendsNoTraceparent: without a tracer, nothing is added.
func TestNoTracerSendsNoTraceparent(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	s := newSink(t, 200)
	w := newWorker(t, st, clk, map[string]Target{"app": s.target(t, Policy{})})
	ev := testEvent("ev1", t0)
	ev.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	st.add(ev, "app")
	round(t, w)
	if got := s.requests(); len(got) != 1 || got[0].Get("Traceparent") != "" {
		t.Errorf("%d requests, traceparent %q; want 1 without", len(got), got[0].Get("Traceparent"))
	}
}
