package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/tracing"
)

// Verdict is how a request to /in/{source} ended.
type Verdict uint8

// The verdicts, one per way a request ends. Each is recorded exactly once
// per request.
const (
	// VerdictAccepted: a new event was stored (200, or the provider's own ack).
	VerdictAccepted Verdict = iota
	// VerdictDuplicate: the provider's delivery id was already stored (200).
	VerdictDuplicate
	// VerdictChallenge: a provider handshake was answered; nothing stored.
	VerdictChallenge
	// VerdictNotFound: no source has that name (404).
	VerdictNotFound
	// VerdictTooLarge: the body was over the source's limit (413, recorded).
	VerdictTooLarge
	// VerdictBadBody: the body could not be read (400).
	VerdictBadBody
	// VerdictBodyTimeout: the body did not arrive within the server's read
	// timeout (408).
	VerdictBodyTimeout
	// VerdictMethodNotAllowed: the source takes other methods (405).
	VerdictMethodNotAllowed
	// VerdictUnauthorized: the source's auth refused the sender (401, recorded).
	VerdictUnauthorized
	// VerdictForbidden: the source's auth forbade the sender (403, recorded).
	VerdictForbidden
	// VerdictAuthUnavailable: the source's auth could not decide (503, recorded).
	VerdictAuthUnavailable
	// VerdictMissingHeader: a required header was missing (400, recorded).
	VerdictMissingHeader
	// VerdictRejected: the signature did not verify (401, recorded).
	VerdictRejected
	// VerdictUnavailable: the store could not take the event (503).
	VerdictUnavailable

	verdictCount
)

var verdictNames = [verdictCount]string{
	VerdictAccepted: "accepted", VerdictDuplicate: "duplicate", VerdictChallenge: "challenge", VerdictNotFound: "not_found",
	VerdictTooLarge: "too_large", VerdictBadBody: "bad_body", VerdictBodyTimeout: "body_timeout", VerdictMethodNotAllowed: "method_not_allowed",
	VerdictUnauthorized: "unauthorized", VerdictForbidden: "forbidden", VerdictAuthUnavailable: "auth_unavailable",
	VerdictMissingHeader: "missing_header", VerdictRejected: "rejected", VerdictUnavailable: "unavailable",
}

// String is the verdict's name in metrics and logs, such as "accepted".
func (v Verdict) String() string {
	if v < verdictCount {
		return verdictNames[v]
	}
	return "verdict(" + strconv.Itoa(int(v)) + ")"
}

// Refused reports whether v is a refusal that was recorded in the store's
// rejections (the requests the web UI lists as rejected).
func (v Verdict) Refused() bool {
	switch v {
	case VerdictTooLarge, VerdictUnauthorized, VerdictForbidden, VerdictAuthUnavailable, VerdictMissingHeader, VerdictRejected:
		return true
	}
	return false
}

// Verdicts returns every verdict, in order.
func Verdicts() []Verdict {
	vs := make([]Verdict, verdictCount)
	for i := range vs {
		vs[i] = Verdict(i)
	}
	return vs
}

// Observer is told how each request ended (metrics.Metrics is one). It is
// called once per request, on the request's goroutine, so it must be safe
// for concurrent use and cheap. source is the source's name, or "" when no
// source has the requested name (the name is the sender's, so it is not
// passed on).
type Observer interface {
	Request(source string, v Verdict, d time.Duration)
}

// HeaderRequestID carries a request's id: taken from the request when the
// sender set a sane one, made up otherwise, and sent back in the answer.
const HeaderRequestID = "X-Request-Id"

// maxRequestID bounds a request id taken from a sender.
const maxRequestID = 128

// requestIDs makes request ids: a random prefix per handler and a counter,
// unique within the process and cheap (one small string per request).
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

// id returns r's request id: its X-Request-Id header when that is 1 to 128
// printable ASCII characters, else a new one.
func (g *requestIDs) id(r *http.Request) string {
	if v := r.Header.Get(HeaderRequestID); saneID(v) {
		return v
	}
	return g.prefix + strconv.FormatUint(g.n.Add(1), 10)
}

func saneID(v string) bool {
	if v == "" || len(v) > maxRequestID {
		return false
	}
	for i := range len(v) {
		if v[i] <= ' ' || v[i] > '~' {
			return false
		}
	}
	return true
}

// call is one request on its way through the handler.
type call struct {
	h   *Handler
	w   http.ResponseWriter
	r   *http.Request
	id  string
	log *slog.Logger // made on first use, with the request id
	// span is the ingest span; nil when tracing is off.
	span trace.Span
}

// logger returns the handler's logger with the request's id (and trace id),
// made on first use: requests that log nothing pay nothing.
func (c *call) logger() *slog.Logger {
	if c.log == nil {
		if c.span != nil && c.span.SpanContext().IsValid() {
			c.log = c.h.log.With("request_id", c.id, "trace_id", c.span.SpanContext().TraceID().String())
		} else {
			c.log = c.h.log.With("request_id", c.id)
		}
	}
	return c.log
}

// debug logs at debug level, if the logger takes it.
func (c *call) debug(msg string, args ...any) {
	if c.h.log.Enabled(c.r.Context(), slog.LevelDebug) {
		c.logger().Debug(msg, args...)
	}
}

// startSpan starts the ingest span as the child of the sender's
// traceparent, if it sent one, and puts it in the request's context.
func (c *call) startSpan(tr trace.Tracer) {
	ctx := tracing.Extract(c.r.Context(), propagation.HeaderCarrier(c.r.Header))
	ctx, c.span = tr.Start(ctx, c.r.Method+" /in/{source}",
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", c.r.Method),
			attribute.String("url.path", c.r.URL.Path),
			attribute.String("http.route", "/in/{source}"),
			attribute.String("hookgate.request_id", c.id),
		))
	c.r = c.r.WithContext(ctx)
}

// endSpan ends the ingest span with the request's verdict.
func (c *call) endSpan(source string, v Verdict) {
	if c.span == nil {
		return
	}
	c.span.SetAttributes(attribute.String("hookgate.source", source), attribute.String("hookgate.verdict", v.String()))
	if v == VerdictUnavailable || v == VerdictAuthUnavailable {
		c.span.SetStatus(codes.Error, v.String())
	}
	c.span.End()
}

// storeSpan starts the span of the event's store commit, when tracing.
func (c *call) storeSpan(ctx context.Context, eventID string, routes int) (context.Context, trace.Span) {
	if c.span == nil {
		return ctx, nil
	}
	return c.h.tracer.Start(ctx, "store ingest", trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("hookgate.event_id", eventID), attribute.Int("hookgate.routes", routes)))
}

// endStoreSpan ends the store span with the commit's result.
func endStoreSpan(s trace.Span, duplicate bool, err error) {
	if s == nil {
		return
	}
	if err != nil {
		s.RecordError(err)
		s.SetStatus(codes.Error, "store unavailable")
	} else {
		s.SetAttributes(attribute.Bool("hookgate.duplicate", duplicate))
	}
	s.End()
}
