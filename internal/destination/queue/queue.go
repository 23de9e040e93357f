// Package queue delivers events to message brokers and job queues, so that
// workers that already consume from one keep doing so: RabbitMQ (AMQP
// 0-9-1), Redis (streams and lists), beanstalkd, NATS JetStream and Amazon
// SQS, one file each.
//
// Every kind follows the same rules:
//   - The message body is the event body, byte for byte (SQS, which takes
//     text only, is the one exception; see SQS).
//   - Where the system has message headers or attributes, they carry the
//     destination's configured headers and hookgate's metadata, under the
//     names the HTTP destination uses: Content-Type, Webhook-Id (the event
//     id), Hookgate-Source, Hookgate-Event-Type, Hookgate-Delivery-Id and
//     Hookgate-Attempt.
//   - Where the sender may choose the message id, it is the event id, so
//     consumers and brokers can drop duplicates.
//   - Nothing is dialled when a destination is built (`hookgate check`
//     builds them too). The connection is made on first use, kept, and made
//     again after a failure; destinations are safe for concurrent use, and
//     Close releases the connection.
//   - Success (Status 200) means the broker took the message: a publisher
//     confirm, a JetStream PubAck, the server's reply. A broker that cannot
//     be reached or did not take the message is a retryable Err; a message
//     it will never take is a permanent failure, Status 413 (too large) or
//     400, with the reason in Response.
//
// Hookgate declares no exchanges, queues, streams or tubes: the broker's
// topology is its operator's.
package queue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/tracing"
)

// HeaderContentType carries the event's Content-Type, where the system has
// headers and no field of its own for it.
const HeaderContentType = "Content-Type"

// Bounds on configured headers, so that metadata stays small next to the
// body.
const (
	maxHeaders     = 32
	maxHeaderValue = 1024
	// maxMetaValue bounds a metadata value taken from the event (the
	// provider's event type, the sender's Content-Type).
	maxMetaValue = 255
)

// errClosed is what Deliver returns after Close.
var errClosed = errors.New("destination closed")

// header is one message header or attribute.
type header struct{ name, value string }

// staticHeaders checks configured headers and returns them sorted by name.
// They follow the HTTP destination's rules: names are HTTP tokens, values
// hold no line breaks, and hookgate's own names cannot be configured.
func staticHeaders(m map[string]string) ([]header, error) {
	if len(m) > maxHeaders {
		return nil, fmt.Errorf("headers: at most %d, got %d", maxHeaders, len(m))
	}
	out := make([]header, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		switch {
		case !validToken(k):
			return nil, fmt.Errorf("header %q: not a valid header name", k)
		case reserved(k):
			return nil, fmt.Errorf("header %q: set by hookgate, cannot be configured", k)
		case strings.ContainsAny(v, "\r\n\x00"):
			return nil, fmt.Errorf("header %q: value must not contain CR, LF or NUL", k)
		case len(v) > maxHeaderValue:
			return nil, fmt.Errorf("header %q: value longer than %d bytes", k, maxHeaderValue)
		}
		out = append(out, header{k, v})
	}
	return out, nil
}

func reserved(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case HeaderContentType, destination.HeaderWebhookID, destination.HeaderSource, destination.HeaderEventType,
		destination.HeaderDeliveryID, destination.HeaderAttempt, HeaderBodyEncoding:
		return true
	}
	return false
}

// metadata returns the headers of one message: the configured ones, then
// hookgate's. Empty values are left out. Values taken from the event are
// cleaned: no control characters (a provider's event type cannot inject a
// header line), valid UTF-8, at most maxMetaValue bytes.
func metadata(static []header, ev *event.Event, d event.Delivery) []header {
	out := make([]header, 0, len(static)+6)
	out = append(out, static...)
	add := func(name, value string) {
		if value = clean(value); value != "" {
			out = append(out, header{name, value})
		}
	}
	add(HeaderContentType, ev.ContentType())
	add(destination.HeaderWebhookID, ev.ID)
	add(destination.HeaderSource, ev.Source)
	add(destination.HeaderEventType, ev.Type)
	add(destination.HeaderDeliveryID, d.ID)
	add(destination.HeaderAttempt, strconv.Itoa(d.Attempts+1))
	return out
}

// withTrace adds the W3C trace context of ctx (the delivery attempt's span,
// when tracing is on) to meta as traceparent and tracestate, the names
// OpenTelemetry's messaging conventions use, so that a consumer can continue
// the trace.
func withTrace(ctx context.Context, meta []header) []header {
	parent, state := tracing.FromContext(ctx)
	if parent == "" {
		return meta
	}
	meta = append(meta, header{"traceparent", parent})
	if state != "" {
		meta = append(meta, header{"tracestate", clean(state)})
	}
	return meta
}

// clean makes s safe as a header value in every system here.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case r == 0xFFFE || r == 0xFFFF: // not allowed in SQS attributes
			return '\uFFFD'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxMetaValue {
		s = s[:maxMetaValue]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// validToken reports whether s is an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// accepted is the result of a message the broker took; detail says what it
// answered (a job id, a stream sequence, ...).
func accepted(format string, args ...any) destination.Result {
	return destination.Result{Status: http.StatusOK, Response: fmt.Appendf(nil, format, args...)}
}

// failed is a retryable failure.
func failed(err error) destination.Result { return destination.Result{Err: err} }

// rejected is a permanent failure: the broker will never take this message.
// status is 413 for a message too large, 400 otherwise.
func rejected(status int, format string, args ...any) destination.Result {
	return destination.Result{Status: status, Response: fmt.Appendf(nil, format, args...)}
}

// gate is a lock that waiters can give up on: it serializes connecting,
// which can take as long as a dial timeout.
type gate chan struct{}

func newGate() gate { return make(gate, 1) }

func (g gate) lock(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) unlock() { <-g }
