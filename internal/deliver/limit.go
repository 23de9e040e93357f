package deliver

import (
	"errors"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit caps how fast attempts to one destination start: a token bucket
// of Burst tokens, refilled at PerSecond. The zero value is no limit.
type RateLimit struct {
	// PerSecond is the sustained rate; fractions are allowed.
	PerSecond float64
	// Burst is how many attempts may start at once. Default 1.
	Burst int
}

func (r RateLimit) check() error {
	if r.PerSecond < 0 || r.Burst < 0 || math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) {
		return errors.New("rate limit must be a positive number")
	}
	return nil
}

// limiter applies a RateLimit against the worker's clock: it never sleeps,
// it says when. It does no locking: its owner (flow) does.
type limiter struct {
	bucket *rate.Limiter
	every  time.Duration // one token's worth of time
	// cursor is the next free slot for deliveries that could not go yet:
	// each one taken moves it on by every, so a backlog leased at once is
	// spread out at the rate instead of all coming back at the same time.
	cursor time.Time
}

func newLimiter(r RateLimit) *limiter {
	burst := max(r.Burst, 1)
	return &limiter{
		bucket: rate.NewLimiter(rate.Limit(r.PerSecond), burst),
		every:  max(time.Duration(float64(time.Second)/r.PerSecond), time.Nanosecond),
	}
}

// take spends a token at now if there is one; if not, it returns the time
// to try again: the next free slot.
func (l *limiter) take(now time.Time) (ok bool, retry time.Time) {
	if l.bucket.AllowN(now, 1) {
		return true, time.Time{}
	}
	slot := now.Add(l.wait(now))
	if l.cursor.After(slot) {
		slot = l.cursor
	}
	l.cursor = slot.Add(l.every)
	return false, slot
}

// room returns how many attempts may start at now and, when none, when the
// next may.
func (l *limiter) room(now time.Time) (n int, ready time.Time) {
	tokens := l.bucket.TokensAt(now)
	if tokens >= 1 {
		return int(tokens), time.Time{}
	}
	return 0, now.Add(l.wait(now))
}

// wait is how long until the bucket holds a whole token.
func (l *limiter) wait(now time.Time) time.Duration {
	missing := 1 - l.bucket.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing * float64(l.every)))
}
