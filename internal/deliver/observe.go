package deliver

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/tracing"
)

// Observer is told of attempts and dead letters (metrics.Metrics is one).
// It is called from the pools' goroutines and the lease loop, so it must be
// safe for concurrent use, and cheap.
type Observer interface {
	// Attempted is called after each attempt sent to dest, with the state
	// the delivery moves to (Succeeded, Pending for a retry, or Dead) and
	// how long the attempt took.
	Attempted(dest string, outcome event.State, d time.Duration)
	// Dead is called each time a delivery to dest becomes dead: after its
	// last attempt, or past its max age without one.
	Dead(dest string)
}

// startSpan starts the span of one attempt as a child of the span that
// received the event (ev.TraceParent), when tracing is on. Its context is
// what the destination forwards (traceparent header, message attributes).
func (w *Worker) startSpan(ctx context.Context, p *pool, j job) (context.Context, trace.Span) {
	if w.tracer == nil {
		return ctx, nil
	}
	ctx = tracing.WithParent(ctx, j.ev.TraceParent)
	return w.tracer.Start(ctx, "deliver "+p.name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("hookgate.destination", p.name),
			attribute.String("hookgate.event_id", j.d.EventID),
			attribute.String("hookgate.delivery_id", j.d.ID),
			attribute.Int("hookgate.attempt", j.d.Attempts+1),
		))
}

// endSpan ends an attempt's span (nil when not tracing).
func endSpan(s trace.Span) {
	if s != nil {
		s.End()
	}
}

// observe tells the observer and the attempt's span how attempt a, with
// result res, ended.
func (w *Worker) observe(p *pool, s trace.Span, res destination.Result, a event.Attempt) {
	if w.obs != nil {
		w.obs.Attempted(p.name, a.Outcome, a.Duration)
		if a.Outcome == event.Dead {
			w.obs.Dead(p.name)
		}
	}
	if s == nil {
		return
	}
	s.SetAttributes(attribute.String("hookgate.outcome", string(a.Outcome)))
	if res.Status != 0 {
		s.SetAttributes(attribute.Int("http.response.status_code", res.Status))
	}
	if a.Outcome != event.Succeeded {
		msg := a.Error
		if msg == "" {
			msg = "status " + strconv.Itoa(res.Status)
		}
		s.SetStatus(codes.Error, msg)
	}
}

// observeDead tells the observer that a delivery to dest died without an
// attempt (past its max age).
func (w *Worker) observeDead(dest string) {
	if w.obs != nil {
		w.obs.Dead(dest)
	}
}
