// Package event is hookgate's domain vocabulary: the events it accepts, the
// deliveries it owes to destinations, the attempts it made, and the requests
// it refused. It does no I/O.
package event

import (
	"net/http"
	"time"

	"github.com/google/uuid"
)

// Event is one accepted webhook request, stored exactly as received.
type Event struct {
	// ID is hookgate's own id: a UUIDv7, so ordering by ID is ordering by arrival.
	ID string
	// Source is the name of the configured source that received it.
	Source string
	// Method is the HTTP method of the request (POST for most providers, GET for
	// query-only senders).
	Method string
	// Query is the raw query string, without the leading '?'.
	Query string
	// Header holds the request headers as received (canonical keys).
	Header http.Header
	// Body is the request body, byte for byte.
	Body []byte
	// ReceivedAt is when hookgate finished reading the request.
	ReceivedAt time.Time
	// Type is the provider's event type (for example "push"), when it has one.
	Type string
	// DeliveryID is the provider's own id for this delivery (X-GitHub-Delivery,
	// webhook-id, ...). Empty when the provider has none. A second request from
	// the same source with the same DeliveryID is a duplicate.
	DeliveryID string
	// TraceParent is the W3C traceparent of the span that received the
	// event, when tracing is on: its delivery attempts join that trace.
	// Empty when the event was not traced.
	TraceParent string
}

// ContentType returns the Content-Type the sender used.
func (e *Event) ContentType() string { return e.Header.Get("Content-Type") }

// State is where a delivery stands.
type State string

const (
	// Pending deliveries are waiting for their next attempt (or are leased by
	// a worker that is attempting them now).
	Pending State = "pending"
	// Succeeded deliveries got a success answer from their destination.
	Succeeded State = "succeeded"
	// Dead deliveries used up their attempts. They are kept, with their
	// attempts, and can be retried later.
	Dead State = "dead"
	// Discarded deliveries were given up by hand: kept, with their
	// attempts, for the record, and never delivered.
	Discarded State = "discarded"
)

// Valid reports whether s is a known state.
func (s State) Valid() bool { return s == Pending || s == Succeeded || s == Dead || s == Discarded }

// Delivery is what hookgate owes one destination for one event.
type Delivery struct {
	ID          string
	EventID     string
	Destination string
	State       State
	// Attempts is how many attempts have been recorded so far.
	Attempts int
	// AttemptBase is how many of Attempts were made before the delivery was
	// last retried by hand. The retry policy counts only the attempts since
	// (Attempts - AttemptBase): a retried delivery gets a fresh budget, while
	// attempt numbers keep growing.
	AttemptBase int
	// RetriedAt is when the delivery was last retried by hand; zero if never.
	// The policy's max age counts from it, when set, else from CreatedAt.
	RetriedAt time.Time
	// NextAt is when the delivery is next due. While a worker holds a lease,
	// NextAt is the lease's expiry: if the worker dies, the delivery becomes
	// due again by itself.
	NextAt    time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastError is a short description of the last failed attempt.
	LastError string
	// Lease is the token of the lease a worker holds, empty when none.
	Lease string
	// OrderingKey, when not empty, makes the delivery wait for every older
	// pending delivery to the same destination with the same key.
	OrderingKey string
	// Body, when not nil, is sent instead of the event's body (a route's
	// transform).
	Body []byte
	// Header, when not nil, is set on the request over the event's headers
	// (a route's transform).
	Header http.Header
}

// Attempt is one try at delivering.
type Attempt struct {
	ID         string
	DeliveryID string
	// N counts attempts of this delivery from 1.
	N         int
	StartedAt time.Time
	// Duration is the attempt's latency: from sending to the answer (or the
	// failure).
	Duration time.Duration
	// Status is the HTTP status (or exit code for commands); 0 when there was
	// no answer at all.
	Status int
	// Error describes a failure to get an answer (timeout, refused, ...).
	Error string
	// Response is a bounded snippet of what the destination answered.
	Response []byte
	// Request is what was sent, as far as the destination kind can tell;
	// zero when it cannot.
	Request Request
	// ResponseHeader holds the answer's headers (bounded, secrets
	// redacted); nil when there was no answer.
	ResponseHeader http.Header
	// Outcome is the state the delivery moved to after this attempt.
	Outcome State
}

// Request is the request of one attempt, for the record: never the body
// (that is the event's, or the delivery's) and never a secret.
type Request struct {
	// Method is the HTTP method.
	Method string
	// URL is where the request went, without user info and with the values
	// of query parameters that look secret redacted.
	URL string
	// Header holds the headers sent, with credentials and signatures
	// redacted.
	Header http.Header
}

// Rejection records a request hookgate refused, and why. It never holds a
// secret or a signature.
type Rejection struct {
	ID         string
	Source     string
	ReceivedAt time.Time
	// Status is the HTTP status hookgate answered with.
	Status int
	// Reason is a short, safe explanation ("signature mismatch", ...).
	Reason     string
	RemoteAddr string
}

// NewID returns a new time-ordered id (UUIDv7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
