package deliver

import (
	"cmp"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// Policy defaults, the same as the configuration's.
const (
	DefaultMaxAttempts = 8
	DefaultInitial     = time.Second
	DefaultMax         = time.Hour
)

// Policy is a destination's retry policy: exponential backoff with full
// jitter, at most MaxAttempts attempts in all. Zero fields take the
// defaults above.
type Policy struct {
	// MaxAttempts counts all attempts, the first included. After that many
	// failed attempts a delivery is dead.
	MaxAttempts int
	// Initial caps the wait before the second attempt; each later cap
	// doubles.
	Initial time.Duration
	// Max caps every wait, Retry-After included.
	Max time.Duration
}

func (p Policy) withDefaults() Policy {
	p.MaxAttempts = cmp.Or(p.MaxAttempts, DefaultMaxAttempts)
	p.Initial = cmp.Or(p.Initial, DefaultInitial)
	p.Max = cmp.Or(p.Max, DefaultMax)
	return p
}

// ceiling is the largest wait after attempt n fails: min(Max, Initial*2^(n-1)).
func (p Policy) ceiling(n int) time.Duration {
	p = p.withDefaults()
	c := p.Initial
	for i := 1; i < n && c < p.Max; i++ {
		if c > p.Max/2 {
			return p.Max
		}
		c *= 2
	}
	return min(c, p.Max)
}

// Backoff returns the wait after attempt n (counting from 1) failed: full
// jitter, a uniformly random duration in [0, min(Max, Initial*2^(n-1))].
// rnd returns a number in [0, 1), as math/rand/v2's Float64 does; values
// outside are clamped.
func (p Policy) Backoff(n int, rnd func() float64) time.Duration {
	c := p.ceiling(n)
	x := min(max(rnd(), 0), 1) * float64(c)
	if x >= float64(c) { // also keeps a huge c from overflowing
		return c
	}
	return time.Duration(x)
}

// Class is how an attempt's result counts.
type Class int

const (
	// Success: the destination took the event (2xx).
	Success Class = iota
	// Retryable: no answer (timeout, refused, ...), 408, 429 or 5xx. The
	// delivery is tried again, unless it is out of attempts.
	Retryable
	// Permanent: any other status (3xx, 4xx, ...). Trying again would get
	// the same answer, so the delivery is dead at once.
	Permanent
)

// String returns the class's name.
func (c Class) String() string {
	switch c {
	case Success:
		return "success"
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	}
	return "unknown"
}

// Classify tells how r counts. Redirects are permanent: destinations do not
// follow them, and a moved receiver needs its URL reconfigured.
func Classify(r destination.Result) Class {
	switch s := r.Status; {
	case r.Err != nil, s == 0:
		return Retryable
	case s >= 200 && s < 300:
		return Success
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		return Retryable
	}
	return Permanent
}

// Next decides where a delivery goes after attempt n (counting from 1) got
// r at now: Succeeded, Dead, or Pending due at the returned time.
//
// A retry waits Backoff(n), or the destination's Retry-After when that is
// longer, but never more than Max: Max is the operator's bound on how late a
// retry may come, and a receiver cannot park deliveries beyond it (a
// Retry-After of a day with Max 1h retries after an hour). Attempts answered
// with Retry-After count toward MaxAttempts like any other.
func (p Policy) Next(r destination.Result, n int, now time.Time, rnd func() float64) (event.State, time.Time) {
	p = p.withDefaults()
	switch Classify(r) {
	case Success:
		return event.Succeeded, time.Time{}
	case Permanent:
		return event.Dead, time.Time{}
	}
	if n >= p.MaxAttempts {
		return event.Dead, time.Time{}
	}
	wait := p.Backoff(n, rnd)
	if r.RetryAfter > wait {
		wait = min(r.RetryAfter, p.Max)
	}
	return event.Pending, now.Add(wait)
}
