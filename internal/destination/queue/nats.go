package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// NATSConfig configures a NATS JetStream destination.
type NATSConfig struct {
	// URL is the server's address, nats://host:4222 (tls:// for TLS), or
	// several separated by commas. user:password@ or a token@ in the URL
	// authenticate. Required.
	URL string
	// Subject is a template: {source} and {type} stand for the event's
	// source and type ("webhooks.{source}.{type}"). Required; a JetStream
	// stream must capture the subjects it makes.
	Subject string
	// Stream, when set, is the stream messages must land in: the server
	// refuses a message whose subject another stream (or none) captures.
	Stream string
	// Headers are added to every message's headers.
	Headers map[string]string
	// DialTimeout bounds connecting when the caller's context has no
	// deadline, or a longer one. Default 5s.
	DialTimeout time.Duration
}

// NATS publishes events to NATS JetStream and waits for the stream's
// acknowledgement (PubAck). The Nats-Msg-Id header is the event id, so the
// stream drops a message it already holds (within its duplicate window,
// 2 minutes by default); the other headers hold the metadata (package doc).
//
// In a subject, the values of {source} and {type} have spaces, control
// characters and the wildcards * and > replaced by '_', and an empty one
// (or an empty token in one, as "a..b") becomes "_"; dots are kept, so a
// type "invoice.paid" makes two tokens.
//
// The connection is made on first use and then reconnects by itself; while
// it is down, publishing fails at once rather than being buffered.
type NATS struct {
	url         string
	subject     *template
	stream      string
	headers     []header
	dialTimeout time.Duration

	gate gate // held while connecting

	mu     sync.Mutex
	nc     *nats.Conn
	js     jetstream.JetStream
	closed bool
}

var _ destination.Destination = (*NATS)(nil)

// NewNATS checks cfg and returns a NATS destination. It does not connect.
func NewNATS(cfg NATSConfig) (*NATS, error) {
	if cfg.URL == "" {
		return nil, errors.New("url: required")
	}
	if cfg.Subject == "" {
		return nil, errors.New("subject: required")
	}
	subject, err := parseTemplate(cfg.Subject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	// Check the literal parts as a subject, with a stand-in for each value.
	if probe := subject.render(&event.Event{}, func(string) string { return "x" }); !validSubject(probe) {
		return nil, fmt.Errorf("subject %q: not a valid subject to publish to (tokens separated by '.', no spaces or wildcards)", cfg.Subject)
	}
	if strings.ContainsAny(cfg.Stream, " \t\r\n.*>") {
		return nil, fmt.Errorf("stream %q: not a valid stream name", cfg.Stream)
	}
	headers, err := staticHeaders(cfg.Headers)
	if err != nil {
		return nil, err
	}
	return &NATS{
		url:         cfg.URL,
		subject:     subject,
		stream:      cfg.Stream,
		headers:     headers,
		dialTimeout: cmp.Or(cfg.DialTimeout, 5*time.Second),
		gate:        newGate(),
	}, nil
}

// Deliver publishes ev and waits for the PubAck.
func (n *NATS) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) destination.Result {
	js, err := n.jetStream(ctx)
	if err != nil {
		return failed(err)
	}
	msg := nats.NewMsg(n.subject.render(ev, subjectToken))
	msg.Data = ev.Body
	for _, h := range withTrace(ctx, metadata(n.headers, ev, d)) {
		msg.Header.Set(h.name, h.value)
	}
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(ev.ID)}
	if n.stream != "" {
		opts = append(opts, jetstream.WithExpectStream(n.stream))
	}
	ack, err := js.PublishMsg(ctx, msg, opts...)
	switch {
	case errors.Is(err, nats.ErrMaxPayload), errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum):
		return rejected(413, "message too large: %d bytes of body (%v)", len(ev.Body), err)
	case errors.Is(err, nats.ErrConnectionClosed):
		return failed(errClosed)
	case errors.Is(err, nats.ErrReconnectBufExceeded):
		return failed(fmt.Errorf("publish to %q: not connected, reconnecting to the server (%w)", msg.Subject, err))
	case err != nil:
		return failed(fmt.Errorf("publish to %q: %w", msg.Subject, err))
	case ack.Duplicate:
		return accepted("stream %s seq %d (a duplicate: the stream already held this event)", ack.Stream, ack.Sequence)
	}
	return accepted("stream %s seq %d", ack.Stream, ack.Sequence)
}

// jetStream returns the connection's JetStream context, connecting first
// when there is no connection.
func (n *NATS) jetStream(ctx context.Context) (jetstream.JetStream, error) {
	if js, err := n.current(); js != nil || err != nil {
		return js, err
	}
	if err := n.gate.lock(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer n.gate.unlock()
	if js, err := n.current(); js != nil || err != nil {
		return js, err
	}
	timeout := n.dialTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	nc, err := nats.Connect(n.url,
		nats.Name("hookgate"),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ReconnectBufSize(-1), // fail fast while reconnecting; the worker retries
	)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		nc.Close()
		return nil, errClosed
	}
	n.nc, n.js = nc, js
	return js, nil
}

// current returns the JetStream context of a connection that is not
// closed for good. (A connection that is reconnecting counts.)
func (n *NATS) current() (jetstream.JetStream, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return nil, errClosed
	case n.nc != nil && n.nc.IsClosed():
		n.nc, n.js = nil, nil
	}
	return n.js, nil
}

// Close closes the connection. Deliveries after Close fail.
func (n *NATS) Close() error {
	n.mu.Lock()
	nc := n.nc
	n.nc, n.js, n.closed = nil, nil, true
	n.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
	return nil
}

// subjectToken makes s fit in a subject: no whitespace, control characters
// or wildcards, and no empty token.
func subjectToken(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		p = strings.Map(func(r rune) rune {
			if r <= ' ' || r == 0x7f || r == '*' || r == '>' || r == 0x85 || r == 0xa0 {
				return '_'
			}
			return r
		}, strings.ToValidUTF8(p, "_"))
		parts[i] = cmp.Or(p, "_")
	}
	return strings.Join(parts, ".")
}

// validSubject reports whether s is a subject one can publish to.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || strings.ContainsAny(tok, " \t\r\n*>") {
			return false
		}
	}
	return true
}
