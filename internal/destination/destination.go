// Package destination holds the kinds of places hookgate delivers events to,
// one file per kind, all behind the one-method Destination interface.
package destination

import (
	"context"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// MaxResponse bounds how much of a destination's answer is kept in the
// attempt record.
const MaxResponse = 4 << 10

// Result is what one attempt got.
type Result struct {
	// Status is the HTTP status (or a command's exit code); 0 when there was
	// no answer.
	Status int
	// Response is at most MaxResponse bytes of the answer.
	Response []byte
	// Err is a failure to get an answer at all (timeout, refused, ...).
	Err error
	// RetryAfter is the destination's own wish (Retry-After), zero if none.
	RetryAfter time.Duration
	// Request is what was sent, for the attempt record, as far as the kind
	// can tell (zero when it cannot). The worker redacts credentials and
	// signatures before storing it.
	Request event.Request
	// Header holds the answer's headers, nil when there was no answer. The
	// worker bounds and redacts them before storing them.
	Header http.Header
}

// Destination delivers one event. Implementations must be safe for
// concurrent use and must honour ctx's deadline.
//
// A destination that holds resources (a broker connection, an open file)
// also implements io.Closer: the gateway closes it once the delivery
// workers have stopped (app.Plan.Close).
type Destination interface {
	Deliver(ctx context.Context, ev *event.Event, d event.Delivery) Result
}
