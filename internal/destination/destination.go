// Package destination holds the kinds of places hookgate delivers events to,
// one file per kind, all behind the one-method Destination interface.
package destination

import (
	"context"
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
}

// Destination delivers one event. Implementations must be safe for
// concurrent use and must honour ctx's deadline.
type Destination interface {
	Deliver(ctx context.Context, ev *event.Event, d event.Delivery) Result
}
