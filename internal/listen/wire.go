package listen

import (
	"net/http"
	"time"
)

// The stream carries JSON text messages. The gateway sends Down messages
// (an event to forward, or the destination's backlog); the listener answers
// each event with exactly one Report.

// Kinds of Down messages.
const (
	// KindEvent carries an Event to forward.
	KindEvent = "event"
	// KindStatus carries the destination's backlog.
	KindStatus = "status"
)

// Down is one message from the gateway to a listener.
type Down struct {
	// Kind is KindEvent or KindStatus.
	Kind string `json:"kind"`
	// Event is set with KindEvent.
	Event *Event `json:"event,omitempty"`
	// Status is set with KindStatus.
	Status *Status `json:"status,omitempty"`
}

// Event is one delivery for the listener: the request as the provider sent
// it (with a route's transform applied), and what identifies the attempt.
type Event struct {
	// ID is hookgate's event id.
	ID string `json:"id"`
	// DeliveryID is the delivery's id; with Attempt, it names this attempt.
	DeliveryID string `json:"delivery_id"`
	// Attempt counts attempts of the delivery from 1. A delivery sent again
	// with the same Attempt is the same attempt, sent again because its
	// report was lost (the stream broke): the listener answers it from its
	// state instead of forwarding it twice.
	Attempt int `json:"attempt"`
	// Source, Type and ReceivedAt describe the event.
	Source     string    `json:"source"`
	Type       string    `json:"type,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	// Method, Query, Header and Body are the request to forward. Body is
	// base64 in JSON.
	Method string      `json:"method"`
	Query  string      `json:"query,omitempty"`
	Header http.Header `json:"headers"`
	Body   []byte      `json:"body"`
	// TimeoutMS is how long the gateway waits for the report, in
	// milliseconds: the listener should answer before.
	TimeoutMS int64 `json:"timeout_ms"`
}

// Status is the destination's backlog, sent when a listener connects and
// whenever it changes.
type Status struct {
	// Pending counts the destination's pending deliveries (due, in flight or
	// waiting for a retry), up to MaxPending; More is set when there are more.
	Pending int  `json:"pending"`
	More    bool `json:"more,omitempty"`
}

// MaxPending caps Status.Pending.
const MaxPending = 1000

// Report is the listener's answer to one Event: what the local app
// answered, or why it could not be reached, or why the listener skipped the
// event. It becomes the delivery's attempt.
type Report struct {
	// DeliveryID and Attempt repeat the Event's.
	DeliveryID string `json:"delivery_id"`
	Attempt    int    `json:"attempt"`
	// URL is where the listener forwarded the event (for the attempt
	// record).
	URL string `json:"url,omitempty"`
	// Status, Header and Body are the local app's answer; Body is at most
	// destination.MaxResponse bytes.
	Status int         `json:"status,omitempty"`
	Header http.Header `json:"headers,omitempty"`
	Body   []byte      `json:"body,omitempty"`
	// LatencyMS is how long the local app took, in milliseconds.
	LatencyMS float64 `json:"latency_ms"`
	// Error says why the local app gave no answer ("connection refused",
	// "timeout after 9s").
	Error string `json:"error,omitempty"`
	// Skipped, when not empty, says why the listener's filter skipped the
	// event; it is acknowledged without being forwarded.
	Skipped string `json:"skipped,omitempty"`
}
