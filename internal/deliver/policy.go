package deliver

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
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
	// MaxAge, when set, bounds how long a delivery is tried: no attempt
	// starts more than MaxAge after its budget began (see Decide), and a
	// failed attempt whose retry would come later is the last.
	MaxAge time.Duration
	// RetryStatuses are the statuses that are retried; nil means 408, 429
	// and 500 to 599. An empty, non-nil list retries none: only attempts
	// that got no answer are retried.
	RetryStatuses []int
	// DisableOn410 makes a 410 Gone answer kill the delivery and pause the
	// destination (the worker does the pausing).
	DisableOn410 bool
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

// Classify tells how r counts under the default policy. Redirects are
// permanent: destinations do not follow them, and a moved receiver needs
// its URL reconfigured.
func Classify(r destination.Result) Class { return Policy{}.Classify(r) }

// Classify tells how r counts under p: a request the SSRF guard refused is
// permanent (the destination's address is not allowed; retrying cannot
// change that, and the delivery goes dead with the reason at once), no
// answer is retryable, 2xx a success, a status in RetryStatuses retryable,
// any other permanent.
func (p Policy) Classify(r destination.Result) Class {
	switch s := r.Status; {
	case errors.Is(r.Err, destination.ErrBlocked):
		return Permanent
	case r.Err != nil, s == 0:
		return Retryable
	case s >= 200 && s < 300:
		return Success
	case p.RetryStatuses == nil && (s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500):
		return Retryable
	case slices.Contains(p.RetryStatuses, s):
		return Retryable
	}
	return Permanent
}

// gone reports whether r is a 410 Gone that p treats as the destination
// going away for good.
func (p Policy) gone(r destination.Result) bool {
	return p.DisableOn410 && r.Err == nil && r.Status == http.StatusGone
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
	if p.gone(r) {
		return event.Dead, time.Time{}
	}
	switch p.Classify(r) {
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

// Decide is Next for a delivery whose budget began at since (see
// budgetStart): with MaxAge set, a retry that would start after
// since+MaxAge makes the delivery dead now instead. n counts the attempts
// of this budget, from 1.
func (p Policy) Decide(r destination.Result, n int, since, now time.Time, rnd func() float64) (event.State, time.Time) {
	state, next := p.Next(r, n, now, rnd)
	if state == event.Pending && p.expired(since, next) {
		return event.Dead, time.Time{}
	}
	return state, next
}

// expired reports whether an attempt at at would start past MaxAge.
func (p Policy) expired(since, at time.Time) bool {
	return p.MaxAge > 0 && at.Sub(since) > p.MaxAge
}

// budgetStart is when d's retry budget began: when it was last retried by
// hand, else when it was created (for an ingested delivery, when its event
// was received; for a replay, when it was replayed).
func budgetStart(d event.Delivery) time.Time {
	if d.RetriedAt.After(d.CreatedAt) {
		return d.RetriedAt
	}
	return d.CreatedAt
}

// tries is how many attempts d has made in its current budget.
func tries(d event.Delivery) int { return max(d.Attempts-d.AttemptBase, 0) }
