package deliver

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"time"
)

// ErrUnknownDestination is returned by Pause, Resume and FlowState for a
// destination the worker does not deliver to.
var ErrUnknownDestination = errors.New("unknown destination")

// flow is one destination's flow control: pause, rate limit and circuit
// breaker. Its methods are safe for concurrent use: the lease loop admits
// deliveries, the pool's goroutines record outcomes, and the management API
// pauses and resumes.
type flow struct {
	mu     sync.Mutex
	paused bool
	// offline is set while a destination that needs a peer has none
	// connected (see Presence); it holds deliveries like paused.
	offline bool
	limiter *limiter // nil: no rate limit
	breaker *breaker // nil: no circuit breaker
	// held are the deliveries parked because the destination is paused;
	// Resume releases those still parked.
	held map[string]struct{}
}

func newFlow(t Target) *flow {
	f := &flow{paused: t.Paused, held: map[string]struct{}{}}
	if t.RateLimit.PerSecond > 0 {
		f.limiter = newLimiter(t.RateLimit)
	}
	if t.Circuit.enabled() {
		f.breaker = newBreaker(t.Circuit)
	}
	return f
}

// verdict is what flow control says about a delivery.
type verdict int

const (
	// admit: attempt it now.
	admit verdict = iota
	// hold: the destination is paused; keep the lease (see Worker.Resume).
	hold
	// later: give it back, due at the time returned.
	later
)

// admit decides on one delivery at now, spending a token of the rate limit
// if it goes. probeWait is how long a half-open circuit's probe may take.
// The delivery that goes while the circuit is half-open is its probe.
func (f *flow) admit(now time.Time, probeWait time.Duration) (v verdict, at time.Time, probe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused || f.offline {
		return hold, time.Time{}, false
	}
	if f.breaker != nil {
		ok, isProbe, until := f.breaker.allow(now)
		if !ok {
			return later, cmpOrTime(until, now.Add(probeWait)), false
		}
		probe = isProbe
	}
	if f.limiter != nil {
		if ok, retry := f.limiter.take(now); !ok {
			return later, retry, false
		}
	}
	if probe {
		f.breaker.startProbe()
	}
	return admit, time.Time{}, probe
}

// recheck decides again, just before the attempt, on a delivery admitted
// earlier: the destination may have been paused, or its circuit opened,
// while it waited in the queue. It spends no token.
func (f *flow) recheck(now time.Time, probe bool, probeWait time.Duration) (verdict, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused || f.offline {
		return hold, time.Time{}
	}
	if f.breaker == nil || probe {
		return admit, time.Time{}
	}
	if ok, isProbe, until := f.breaker.allow(now); !ok || isProbe {
		// Blocked, or half-open with no probe out: the probe is for a
		// delivery admitted now, not one queued before the circuit opened.
		return later, cmpOrTime(until, now.Add(probeWait))
	}
	return admit, time.Time{}
}

// room returns how many deliveries flow control lets through at now (-1:
// no bound) and, when none, when it may let some (zero: unknown).
func (f *flow) room(now time.Time) (n int, ready time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused || f.offline {
		return 0, time.Time{}
	}
	n = -1
	if f.breaker != nil {
		switch ok, probe, until := f.breaker.allow(now); {
		case !ok:
			return 0, until
		case probe:
			n = 1
		}
	}
	if f.limiter != nil {
		m, at := f.limiter.room(now)
		if m == 0 {
			return 0, at
		}
		if n < 0 || m < n {
			n = m
		}
	}
	return n, time.Time{}
}

// record counts an attempt's outcome for the circuit breaker and returns
// the state it moved to ("" if none).
func (f *flow) record(now time.Time, failed, probe bool) CircuitState {
	if f.breaker == nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.breaker.record(now, failed, probe)
}

// abandon gives back a probe that was not attempted.
func (f *flow) abandon(probe bool) {
	if !probe || f.breaker == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breaker.abandon()
}

// hold records that the delivery id is parked while paused.
func (f *flow) hold(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[id] = struct{}{}
}

// setPaused pauses or resumes, and returns whether that changed anything
// and, on resuming (unless offline), the deliveries that were held.
func (f *flow) setPaused(paused bool) (changed bool, held []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused == paused {
		return false, nil
	}
	f.paused = paused
	return true, f.unhold()
}

// setOffline marks the destination offline or online, and returns whether
// that changed anything and, on going online (unless paused), the
// deliveries that were held.
func (f *flow) setOffline(offline bool) (changed bool, held []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.offline == offline {
		return false, nil
	}
	f.offline = offline
	return true, f.unhold()
}

// unhold takes the held deliveries when nothing holds them any more (f.mu
// held).
func (f *flow) unhold() []string {
	if f.paused || f.offline {
		return nil
	}
	held := slices.Collect(maps.Keys(f.held))
	clear(f.held)
	return held
}

// FlowState is a destination's flow control state, for the management API.
type FlowState struct {
	// Paused is true while the destination is paused.
	Paused bool
	// Offline is true while a destination that needs a peer (a listen
	// destination) has none connected.
	Offline bool
	// Circuit is the circuit breaker's state; empty when it has none.
	Circuit CircuitState
	// OpenUntil is when an open circuit half-opens.
	OpenUntil time.Time
}

func (f *flow) state(now time.Time) FlowState {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := FlowState{Paused: f.paused, Offline: f.offline}
	if f.breaker != nil {
		s.Circuit = f.breaker.at(now)
		if s.Circuit == CircuitOpen {
			s.OpenUntil = f.breaker.openUntil
		}
	}
	return s
}

func cmpOrTime(t, otherwise time.Time) time.Time {
	if t.IsZero() {
		return otherwise
	}
	return t
}
