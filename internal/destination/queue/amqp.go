package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// AMQPConfig configures an AMQP destination.
type AMQPConfig struct {
	// URL is the broker's address: amqp://user:password@host:5672/vhost, or
	// amqps:// for TLS. Required.
	URL string
	// Exchange is the exchange messages are published to. Empty is the
	// default exchange, which routes to the queue named by the routing key.
	Exchange string
	// RoutingKey is a template: {source} and {type} stand for the event's
	// source and type ("webhooks.{source}.{type}"). Required with the
	// default exchange.
	RoutingKey string
	// Headers are added to every message's headers.
	Headers map[string]string
	// DialTimeout bounds connecting when the caller's context has no
	// deadline. Default 10s.
	DialTimeout time.Duration
}

// AMQP publishes events to a RabbitMQ (AMQP 0-9-1) exchange: persistent,
// mandatory, on a channel in confirm mode. A delivery succeeds once the
// broker confirms it; a nack, a message no queue is bound for (returned as
// unroutable), or a closed channel is a retryable failure.
//
// The message id is the event id, the type the event type, the timestamp
// when hookgate received the event; the headers hold the metadata
// (package doc). One connection and one channel are shared by all
// deliveries and made again after a failure.
type AMQP struct {
	url         string
	exchange    string
	key         *template
	headers     []header
	dialTimeout time.Duration

	gate gate // held while connecting

	mu     sync.Mutex
	s      *amqpSession // nil until connected, and after a failure
	closed bool
}

var _ destination.Destination = (*AMQP)(nil)

// NewAMQP checks cfg and returns an AMQP destination. It does not connect.
func NewAMQP(cfg AMQPConfig) (*AMQP, error) {
	if cfg.URL == "" {
		return nil, errors.New("url: required")
	}
	if _, err := amqp.ParseURI(cfg.URL); err != nil {
		return nil, fmt.Errorf("url: %w", err) // ParseURI's errors do not repeat the URL
	}
	key, err := parseTemplate(cfg.RoutingKey)
	if err != nil {
		return nil, fmt.Errorf("routing_key: %w", err)
	}
	if cfg.Exchange == "" && cfg.RoutingKey == "" {
		return nil, errors.New("routing_key: required with the default exchange (it names the queue)")
	}
	if len(cfg.Exchange) > 255 {
		return nil, errors.New("exchange: longer than 255 bytes")
	}
	headers, err := staticHeaders(cfg.Headers)
	if err != nil {
		return nil, err
	}
	return &AMQP{
		url:         cfg.URL,
		exchange:    cfg.Exchange,
		key:         key,
		headers:     headers,
		dialTimeout: cmp.Or(cfg.DialTimeout, 10*time.Second),
		gate:        newGate(),
	}, nil
}

// Deliver publishes ev and waits for the broker's confirm.
func (a *AMQP) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) destination.Result {
	key := a.key.render(ev, clean)
	if len(key) > 255 {
		return rejected(400, "routing key longer than 255 bytes: %.64q...", key)
	}
	s, err := a.session(ctx)
	if err != nil {
		return failed(err)
	}
	token := attemptToken(d.ID, d.Attempts+1)
	dc, err := s.ch.PublishWithDeferredConfirm(a.exchange, key, true, false, a.publishing(ctx, ev, d))
	if err != nil {
		a.drop(s)
		return failed(fmt.Errorf("publish: %w", err))
	}
	acked, err := dc.WaitContext(ctx)
	ret, returned := s.takeReturn(token)
	switch {
	case err != nil:
		return failed(fmt.Errorf("no confirm from the broker: %w", err))
	case !acked:
		if reason := s.closeReason(); reason != nil {
			a.drop(s)
			return failed(fmt.Errorf("channel closed before the broker confirmed: %w", reason))
		}
		return failed(errors.New("the broker refused the message (nack)"))
	case returned:
		return failed(fmt.Errorf("unroutable: exchange %q routes key %q to no queue (%d %s)",
			a.exchange, key, ret.ReplyCode, ret.ReplyText))
	}
	return accepted("confirmed by the broker")
}

// publishing is the message for ev: persistent, the event id as message id,
// with the trace context of ctx in its headers.
func (a *AMQP) publishing(ctx context.Context, ev *event.Event, d event.Delivery) amqp.Publishing {
	meta := withTrace(ctx, metadata(a.headers, ev, d))
	table := make(amqp.Table, len(meta))
	for _, h := range meta {
		table[h.name] = h.value
	}
	return amqp.Publishing{
		Headers:      table,
		ContentType:  clean(ev.ContentType()),
		DeliveryMode: amqp.Persistent,
		MessageId:    ev.ID,
		Timestamp:    ev.ReceivedAt,
		Type:         clean(ev.Type),
		AppId:        "hookgate",
		Body:         ev.Body,
	}
}

// attemptToken names one attempt in the headers of a returned message.
func attemptToken(deliveryID string, attempt int) string {
	return fmt.Sprintf("%s/%d", deliveryID, attempt)
}

// session returns the open session, connecting first when there is none.
func (a *AMQP) session(ctx context.Context) (*amqpSession, error) {
	if s, err := a.current(); s != nil || err != nil {
		return s, err
	}
	if err := a.gate.lock(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer a.gate.unlock()
	if s, err := a.current(); s != nil || err != nil {
		return s, err // another delivery connected meanwhile
	}
	s, err := dialAMQP(ctx, a.url, a.dialTimeout)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		s.close()
		return nil, errClosed
	}
	a.s = s
	return s, nil
}

// current returns the session if it is still open, dropping it if not.
func (a *AMQP) current() (*amqpSession, error) {
	a.mu.Lock()
	s, closed := a.s, a.closed
	a.mu.Unlock()
	switch {
	case closed:
		return nil, errClosed
	case s != nil && s.ch.IsClosed():
		a.drop(s)
		return nil, nil
	}
	return s, nil
}

// drop closes s, and forgets it if it is still the current session.
func (a *AMQP) drop(s *amqpSession) {
	a.mu.Lock()
	if a.s == s {
		a.s = nil
	}
	a.mu.Unlock()
	s.close()
}

// Close closes the connection. Deliveries after Close fail.
func (a *AMQP) Close() error {
	a.mu.Lock()
	s := a.s
	a.s, a.closed = nil, true
	a.mu.Unlock()
	if s != nil {
		return s.close()
	}
	return nil
}

// amqpSession is one connection and its one confirming channel.
type amqpSession struct {
	conn   *amqp.Connection
	ch     *amqp.Channel
	closes chan *amqp.Error

	// returns receives unroutable messages. The client library sends each
	// one before it handles the confirm of the same message, on the same
	// goroutine; so by the time a delivery sees its confirm, its return (if
	// any) is in this buffer or was moved into returned. Deliveries drain
	// it, under mu, every time they finish waiting: the library blocks if it
	// fills up, and holding at most one return per delivery in flight, it
	// would only fill with thousands of deliveries in flight at once.
	returns chan amqp.Return

	mu       sync.Mutex
	returned map[string]amqp.Return // by attemptToken
}

func dialAMQP(ctx context.Context, url string, timeout time.Duration) (*amqpSession, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(timeout)
	}
	conn, err := amqp.DialConfig(url, amqp.Config{
		Properties: amqp.Table{"connection_name": "hookgate"},
		Heartbeat:  10 * time.Second,
		Dial: func(network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Bounds the TLS and AMQP handshakes; the library clears it
			// once the connection is open.
			if err := c.SetDeadline(deadline); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
	})
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		conn.Close()
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	return &amqpSession{
		conn:     conn,
		ch:       ch,
		closes:   ch.NotifyClose(make(chan *amqp.Error, 1)),
		returns:  ch.NotifyReturn(make(chan amqp.Return, 1024)),
		returned: map[string]amqp.Return{},
	}, nil
}

// takeReturn moves every pending return into s.returned and takes out the
// one for token, if any.
func (s *amqpSession) takeReturn(token string) (amqp.Return, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
drain:
	for {
		select {
		case r, ok := <-s.returns:
			if !ok {
				break drain // channel closed
			}
			id, _ := r.Headers[destination.HeaderDeliveryID].(string)
			n, _ := r.Headers[destination.HeaderAttempt].(string)
			s.returned[id+"/"+n] = r
		default:
			break drain
		}
	}
	r, ok := s.returned[token]
	delete(s.returned, token)
	if len(s.returned) > 1024 {
		// Returns of deliveries that gave up before their confirm came.
		clear(s.returned)
	}
	return r, ok
}

// closeReason returns why the broker closed the channel, or nil while it
// is open.
func (s *amqpSession) closeReason() error {
	if !s.ch.IsClosed() {
		return nil
	}
	select {
	case e, ok := <-s.closes:
		if ok && e != nil {
			return e
		}
	default:
	}
	return amqp.ErrClosed
}

func (s *amqpSession) close() error {
	if s.conn.IsClosed() {
		return nil
	}
	return s.conn.Close()
}
