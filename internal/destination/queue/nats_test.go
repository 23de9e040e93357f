package queue

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/destination"
)

func TestNATS(t *testing.T) {
	t.Parallel()
	testBroker(t, broker{env: envNATS, open: openNATS, anyBody: true, headers: true, messageID: true})
}

// openNATS makes a stream of its own, capturing hg.<name>.>, and a
// destination that publishes to hg.<name>.{source}.{type}.
func openNATS(t *testing.T, srv, addr string) (destination.Destination, consumer) {
	js, stream, prefix := natsStream(t, srv)
	dst := newNATS(t, NATSConfig{URL: withHostPort(t, srv, addr), Subject: prefix + ".{source}.{type}", Stream: stream,
		Headers: map[string]string{"X-Team": "core"}})
	return dst, natsConsumer(t, js, stream)
}

func newNATS(t *testing.T, cfg NATSConfig) *NATS {
	t.Helper()
	n, err := NewNATS(cfg)
	if err != nil {
		t.Fatalf("NewNATS: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// natsStream creates a stream of the test's own and returns it with the
// subject prefix it captures (prefix.>).
func natsStream(t *testing.T, url string) (jetstream.JetStream, string, string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	name := uniqueName("HG_")
	prefix := "hg." + strings.ToLower(name)
	_, err = js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{prefix + ".>"}, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	t.Cleanup(func() { js.DeleteStream(t.Context(), name) })
	return js, name, prefix
}

// natsConsumer reads the stream in order; a message's ID is its
// Nats-Msg-Id, and Header holds the other headers, the Nats-* ones left out.
func natsConsumer(t *testing.T, js jetstream.JetStream, stream string) consumer {
	t.Helper()
	c, err := js.OrderedConsumer(t.Context(), stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T) message {
		t.Helper()
		m, err := c.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("next message: %v", err)
		}
		got := message{Body: m.Data(), Header: map[string]string{}, ID: m.Headers().Get(jetstream.MsgIDHeader)}
		for k, v := range m.Headers() {
			if !strings.HasPrefix(k, "Nats-") {
				got.Header[k] = strings.Join(v, ",")
			}
		}
		return got
	}
}

// The stream drops a second message with the same event id; the second
// delivery still succeeds, and says so.
func TestNATSDuplicate(t *testing.T) {
	t.Parallel()
	srv := server(t, envNATS)
	js, stream, prefix := natsStream(t, srv)
	dst := newNATS(t, NATSConfig{URL: srv, Subject: prefix + ".x"})
	ev := testEvent([]byte(`{"once":true}`))
	for i, want := range []string{"seq 1", "seq 1 (a duplicate"} {
		r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
		if deliver.Classify(r) != deliver.Success || !strings.Contains(string(r.Response), want) {
			t.Fatalf("Deliver %d = %+v (response %q), want a success with %q", i, r, r.Response, want)
		}
	}
	s, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("stream holds %d messages, want 1", info.State.Msgs)
	}
}

// Values in a subject are made safe: dots kept, wildcards and spaces
// replaced, an empty value "_".
func TestNATSSubject(t *testing.T) {
	t.Parallel()
	srv := server(t, envNATS)
	js, stream, prefix := natsStream(t, srv)
	next := natsConsumer(t, js, stream)
	dst := newNATS(t, NATSConfig{URL: srv, Subject: prefix + ".{source}.{type}"})
	for _, tc := range []struct{ typ, want string }{
		{"invoice.paid", "github.invoice.paid"},
		{"", "github._"},
		{"a b*>", "github.a_b__"},
		{"a..b.", "github.a._.b._"},
	} {
		ev := testEvent([]byte(`{}`))
		ev.Type = tc.typ
		if r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev)); deliver.Classify(r) != deliver.Success {
			t.Fatalf("Deliver type %q = %+v", tc.typ, r)
		}
		next(t)
	}
	// The ordered consumer does not give subjects; read them back by
	// sequence.
	s, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"github.invoice.paid", "github._", "github.a_b__", "github.a._.b._"} {
		m, err := s.GetMsg(t.Context(), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimPrefix(m.Subject, prefix+"."); got != want {
			t.Errorf("subject %d = %q, want %q", i+1, got, want)
		}
	}
}

// A subject no stream captures, or one captured by another stream than the
// expected one, is a retryable failure: the operator may yet fix the
// streams.
func TestNATSNoStream(t *testing.T) {
	t.Parallel()
	srv := server(t, envNATS)
	_, _, prefix := natsStream(t, srv)
	for _, cfg := range []NATSConfig{
		{URL: srv, Subject: "hookgate.nowhere." + uniqueName("x")},
		{URL: srv, Subject: prefix + ".x", Stream: "SOME_OTHER"},
	} {
		dst := newNATS(t, cfg)
		ev := testEvent([]byte(`{}`))
		r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
		if r.Err == nil || deliver.Classify(r) != deliver.Retryable {
			t.Errorf("Deliver to %q (stream %q) = %+v, want a retryable Err", cfg.Subject, cfg.Stream, r)
		}
	}
}

// A body over the server's max_payload (1MiB by default) fails for good.
func TestNATSTooLarge(t *testing.T) {
	t.Parallel()
	srv := server(t, envNATS)
	_, _, prefix := natsStream(t, srv)
	dst := newNATS(t, NATSConfig{URL: srv, Subject: prefix + ".x"})
	ev := testEvent(bytes.Repeat([]byte("a"), 2<<20))
	r := dst.Deliver(attemptCtx(t, 10*time.Second), ev, testDelivery(ev))
	if r.Status != 413 || deliver.Classify(r) != deliver.Permanent {
		t.Errorf("Deliver of 2MiB = %+v (response %q), want a permanent 413", r, r.Response)
	}
}

func TestSubjectToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"push": "push", "invoice.paid": "invoice.paid", "": "_", "a b": "a_b", "*": "_", ">": "_",
		".": "_._", "a\tb\r\n": "a_b__", "\xff": "_", "é": "é",
	} {
		if got := subjectToken(in); got != want {
			t.Errorf("subjectToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewNATSErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  NATSConfig
		want string
	}{
		{"no url", NATSConfig{Subject: "s"}, "url: required"},
		{"no subject", NATSConfig{URL: "nats://h:4222"}, "subject: required"},
		{"wildcard", NATSConfig{URL: "nats://h:4222", Subject: "a.*"}, "not a valid subject"},
		{"empty token", NATSConfig{URL: "nats://h:4222", Subject: "a..{type}"}, "not a valid subject"},
		{"placeholder", NATSConfig{URL: "nats://h:4222", Subject: "a.{id}"}, "unknown placeholder {id}"},
		{"stream", NATSConfig{URL: "nats://h:4222", Subject: "a", Stream: "A.B"}, "not a valid stream name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewNATS(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewNATS = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
