package queue

import (
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
)

func TestAMQP(t *testing.T) {
	t.Parallel()
	testBroker(t, broker{env: envAMQP, open: openAMQP, anyBody: true, headers: true, messageID: true})
}

// openAMQP declares a topic exchange with a queue bound to every key, and
// a destination that publishes to it with the key webhooks.{source}.{type}.
func openAMQP(t *testing.T, srv, addr string) (destination.Destination, consumer) {
	exchange := uniqueName("hookgate-test-")
	ch := amqpChannel(t, srv)
	if err := ch.ExchangeDeclare(exchange, "topic", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	msgs := amqpQueue(t, ch, exchange, "#")
	dst := newAMQP(t, AMQPConfig{
		URL:        withHostPort(t, srv, addr),
		Exchange:   exchange,
		RoutingKey: "webhooks.{source}.{type}",
		Headers:    map[string]string{"X-Team": "core"},
	})
	return dst, func(t *testing.T) message {
		t.Helper()
		m := nextAMQP(t, msgs)
		h := map[string]string{}
		for k, v := range m.Headers {
			s, ok := v.(string)
			if !ok {
				t.Errorf("header %s = %#v, want a string", k, v)
			}
			h[k] = s
		}
		return message{Body: m.Body, Header: h, ID: m.MessageId}
	}
}

func newAMQP(t *testing.T, cfg AMQPConfig) *AMQP {
	t.Helper()
	a, err := NewAMQP(cfg)
	if err != nil {
		t.Fatalf("NewAMQP: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// amqpChannel opens a connection of the test's own, closed when it ends.
func amqpChannel(t *testing.T, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// amqpQueue declares an exclusive queue, binds it to exchange with key
// (unless exchange is the default one) and consumes it.
func amqpQueue(t *testing.T, ch *amqp.Channel, exchange, key string) <-chan amqp.Delivery {
	t.Helper()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exchange != "" {
		if err := ch.QueueBind(q.Name, key, exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func nextAMQP(t *testing.T, msgs <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case m, ok := <-msgs:
		if !ok {
			t.Fatal("consumer closed")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	panic("unreachable")
}

func TestAMQPMessage(t *testing.T) {
	t.Parallel()
	srv := server(t, envAMQP)
	ch := amqpChannel(t, srv)
	// The default exchange routes to the queue the key names.
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	queue := q.Name
	msgs, err := ch.Consume(queue, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := newAMQP(t, AMQPConfig{URL: srv, RoutingKey: queue})
	ev := testEvent([]byte(`{"a":1}`))
	ev.Type = "issue_comment\r\nX-Injected: yes"
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver = %+v", r)
	}
	m := nextAMQP(t, msgs)
	checks := []struct {
		name      string
		got, want any
	}{
		{"DeliveryMode", m.DeliveryMode, amqp.Persistent},
		{"MessageId", m.MessageId, ev.ID},
		{"ContentType", m.ContentType, "application/json"},
		{"Type", m.Type, "issue_comment  X-Injected: yes"},
		{"AppId", m.AppId, "hookgate"},
		{"Timestamp", m.Timestamp.UTC(), ev.ReceivedAt},
		{"RoutingKey", m.RoutingKey, queue},
		{"Exchange", m.Exchange, ""},
		{"Body", string(m.Body), `{"a":1}`},
		{"Headers[X-Injected]", m.Headers["X-Injected"], nil},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestAMQPRoutingKey(t *testing.T) {
	t.Parallel()
	srv := server(t, envAMQP)
	exchange := uniqueName("hookgate-test-")
	ch := amqpChannel(t, srv)
	if err := ch.ExchangeDeclare(exchange, "topic", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	msgs := amqpQueue(t, ch, exchange, "stripe.invoice.*")
	dst := newAMQP(t, AMQPConfig{URL: srv, Exchange: exchange, RoutingKey: "{source}.{type}"})
	ev := testEvent([]byte(`{}`))
	ev.Source, ev.Type = "stripe", "invoice.paid"
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver = %+v", r)
	}
	if m := nextAMQP(t, msgs); m.RoutingKey != "stripe.invoice.paid" {
		t.Errorf("routing key = %q, want stripe.invoice.paid", m.RoutingKey)
	}
}

// A message no queue is bound for is returned by the broker: not a success.
// Once a queue is bound, the same destination delivers.
func TestAMQPUnroutable(t *testing.T) {
	t.Parallel()
	srv := server(t, envAMQP)
	exchange := uniqueName("hookgate-test-")
	ch := amqpChannel(t, srv)
	if err := ch.ExchangeDeclare(exchange, "topic", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.ExchangeDelete(exchange, false, false) })
	dst := newAMQP(t, AMQPConfig{URL: srv, Exchange: exchange, RoutingKey: "orders"})
	ev := testEvent([]byte(`{}`))
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if r.Err == nil || !strings.Contains(r.Err.Error(), "unroutable") || deliver.Classify(r) != deliver.Retryable {
		t.Fatalf("Deliver with no queue bound = %+v, want a retryable unroutable Err", r)
	}
	msgs := amqpQueue(t, ch, exchange, "orders")
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver once a queue is bound = %+v", r)
	}
	if m := nextAMQP(t, msgs); m.MessageId != ev.ID {
		t.Errorf("message id = %q, want %q", m.MessageId, ev.ID)
	}
}

// Publishing to an exchange that does not exist makes the broker close the
// channel: a retryable failure naming the cause. The destination opens a
// new channel once the exchange exists.
func TestAMQPMissingExchange(t *testing.T) {
	t.Parallel()
	srv := server(t, envAMQP)
	exchange := uniqueName("hookgate-test-")
	dst := newAMQP(t, AMQPConfig{URL: srv, Exchange: exchange, RoutingKey: "k"})
	ev := testEvent([]byte(`{}`))
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if r.Err == nil || !strings.Contains(r.Err.Error(), "NOT_FOUND") || deliver.Classify(r) != deliver.Retryable {
		t.Fatalf("Deliver to a missing exchange = %+v, want a retryable Err naming NOT_FOUND", r)
	}
	ch := amqpChannel(t, srv)
	if err := ch.ExchangeDeclare(exchange, "direct", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	msgs := amqpQueue(t, ch, exchange, "k")
	if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
		t.Fatalf("Deliver once the exchange exists = %+v", r)
	}
	nextAMQP(t, msgs)
}

func TestNewAMQPErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  AMQPConfig
		want string
	}{
		{"no url", AMQPConfig{RoutingKey: "q"}, "url: required"},
		{"bad scheme", AMQPConfig{URL: "http://h/", RoutingKey: "q"}, "url:"},
		{"default exchange needs a key", AMQPConfig{URL: "amqp://h/"}, "routing_key: required"},
		{"bad placeholder", AMQPConfig{URL: "amqp://h/", RoutingKey: "{sorce}"}, "unknown placeholder {sorce}"},
		{"reserved header", AMQPConfig{URL: "amqp://h/", RoutingKey: "q", Headers: map[string]string{"webhook-id": "x"}}, "set by hookgate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAMQP(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewAMQP = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
