package deliver

import (
	"errors"
	"time"
)

// Circuit configures a destination's circuit breaker. The zero value is no
// breaker.
type Circuit struct {
	// Failures opens the circuit after that many failed attempts in a row;
	// 0 leaves this trigger out.
	Failures int
	// Ratio opens the circuit when at least that share of the last Window
	// attempts failed (counted once Window attempts were made); 0 leaves
	// this trigger out.
	Ratio  float64
	Window int
	// OpenFor is how long the circuit stays open before it half-opens and
	// lets one probe through. Required when a trigger is set.
	OpenFor time.Duration
}

func (c Circuit) enabled() bool { return c.Failures > 0 || (c.Ratio > 0 && c.Window > 0) }

func (c Circuit) check() error {
	switch {
	case c.Failures < 0 || c.Window < 0 || c.OpenFor < 0 || c.Ratio < 0:
		return errors.New("circuit fields must not be negative")
	case c.Ratio > 1:
		return errors.New("circuit ratio must be at most 1")
	case c.Ratio > 0 && c.Window == 0:
		return errors.New("circuit ratio needs a window")
	case c.enabled() && c.OpenFor == 0:
		return errors.New("circuit needs open_for")
	}
	return nil
}

// CircuitState is where a circuit breaker stands.
type CircuitState string

const (
	// CircuitClosed lets every attempt through.
	CircuitClosed CircuitState = "closed"
	// CircuitOpen lets nothing through until its time is up.
	CircuitOpen CircuitState = "open"
	// CircuitHalfOpen lets one probe through; its outcome closes or opens
	// the circuit.
	CircuitHalfOpen CircuitState = "half-open"
)

// breaker is one destination's circuit breaker. It does no locking and
// reads no clock: its owner (flow) does both.
type breaker struct {
	cfg   Circuit
	state CircuitState
	// openUntil is when an open circuit half-opens.
	openUntil time.Time
	// probing is set while the half-open circuit's probe is out.
	probing bool

	streak int    // failed attempts in a row
	recent []bool // the last Window outcomes, true for a failure (a ring)
	next   int    // where the next outcome goes in recent
	filled int    // outcomes in recent
	failed int    // failures in recent
}

func newBreaker(c Circuit) *breaker {
	b := &breaker{cfg: c, state: CircuitClosed}
	if c.Ratio > 0 {
		b.recent = make([]bool, c.Window)
	}
	return b
}

// at moves an open circuit whose time is up to half-open, and returns the
// state at now.
func (b *breaker) at(now time.Time) CircuitState {
	if b.state == CircuitOpen && !now.Before(b.openUntil) {
		b.state, b.probing = CircuitHalfOpen, false
	}
	return b.state
}

// allow reports whether an attempt may start at now and whether it is the
// probe; if not, blocked tells until when nothing will be let through
// (zero when that depends on a probe's outcome).
func (b *breaker) allow(now time.Time) (ok, probe bool, blocked time.Time) {
	switch b.at(now) {
	case CircuitOpen:
		return false, false, b.openUntil
	case CircuitHalfOpen:
		if b.probing {
			return false, false, time.Time{}
		}
		return true, true, time.Time{}
	}
	return true, false, time.Time{}
}

// startProbe marks the half-open circuit's probe as out.
func (b *breaker) startProbe() { b.probing = true }

// abandon gives the probe back: it was not attempted after all.
func (b *breaker) abandon() { b.probing = false }

// record counts an attempt's outcome at now. An open circuit ignores
// outcomes of attempts that started before it opened. It returns the state
// the circuit moved to, or "" if it did not move.
func (b *breaker) record(now time.Time, failed, probe bool) CircuitState {
	if probe && b.state == CircuitHalfOpen {
		b.probing = false
		if failed {
			return b.open(now)
		}
		b.reset()
		b.state = CircuitClosed
		return CircuitClosed
	}
	if b.state != CircuitClosed {
		return ""
	}
	if failed {
		b.streak++
	} else {
		b.streak = 0
	}
	if b.recent != nil {
		if b.filled == len(b.recent) && b.recent[b.next] {
			b.failed--
		}
		b.recent[b.next] = failed
		b.next = (b.next + 1) % len(b.recent)
		b.filled = min(b.filled+1, len(b.recent))
		if failed {
			b.failed++
		}
	}
	c := b.cfg
	if (c.Failures > 0 && b.streak >= c.Failures) ||
		(b.recent != nil && b.filled == len(b.recent) && float64(b.failed) >= c.Ratio*float64(len(b.recent))) {
		return b.open(now)
	}
	return ""
}

func (b *breaker) open(now time.Time) CircuitState {
	b.reset()
	b.state, b.openUntil, b.probing = CircuitOpen, now.Add(b.cfg.OpenFor), false
	return CircuitOpen
}

// reset forgets past outcomes: a circuit that closes starts afresh.
func (b *breaker) reset() {
	b.streak, b.next, b.filled, b.failed = 0, 0, 0, 0
	clear(b.recent)
}
