package deliver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// This file is the worker's side of flow control (flow.go): what the lease
// loop and the pools do with a delivery flow control holds back, pausing
// and resuming, and the max age.

// Pause stops attempts to dest: its deliveries wait, not attempted and
// spending no attempt, until Resume. Attempts in flight finish. The pause
// lives in this worker's memory: a restart goes back to the configuration
// (Target.Paused), and other nodes sharing the store keep delivering. It is
// safe for concurrent use.
func (w *Worker) Pause(dest string) error {
	return w.pause(dest, "paused by request")
}

func (w *Worker) pause(dest, reason string) error {
	p, ok := w.current()[dest]
	if !ok {
		return fmt.Errorf("pause %q: %w", dest, ErrUnknownDestination)
	}
	if changed, _ := p.flow.setPaused(true); changed {
		w.log.Warn("deliver: destination paused", "destination", dest, "reason", reason)
	}
	return nil
}

// Resume lets attempts to dest start again: the deliveries held while it
// was paused are due at once. It is safe for concurrent use.
func (w *Worker) Resume(dest string) error {
	p, ok := w.current()[dest]
	if !ok {
		return fmt.Errorf("resume %q: %w", dest, ErrUnknownDestination)
	}
	changed, held := p.flow.setPaused(false)
	if !changed {
		return nil
	}
	w.log.Info("deliver: destination resumed", "destination", dest, "held", len(held))
	w.releaseHeld(dest, held)
	return nil
}

// releaseHeld gives back at once the deliveries held for dest, and wakes
// the lease loop.
func (w *Worker) releaseHeld(dest string, held []string) {
	leases := w.unpark(held)
	w.mu.Lock()
	base := w.baseCtx // nil before Start
	w.mu.Unlock()
	if len(leases) > 0 && base != nil {
		ctx, cancel := context.WithTimeout(base, storeTimeout)
		defer cancel()
		if err := w.store.Release(ctx, w.now(), leases); err != nil {
			// Their leases expire instead; no delivery is lost.
			w.log.Error("deliver: release held deliveries", "destination", dest, "count", len(leases), "err", err)
		}
	}
	w.Notify()
}

// unpark takes the leases of ids out of the parked ones, those still valid.
func (w *Worker) unpark(ids []string) map[string]string {
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	leases := map[string]string{}
	for _, id := range ids {
		if l, ok := w.parked[id]; ok {
			delete(w.parked, id)
			if l.expires.After(now) {
				leases[id] = l.token
			}
		}
	}
	return leases
}

// FlowState reports dest's flow control state. It is safe for concurrent
// use.
func (w *Worker) FlowState(dest string) (FlowState, error) {
	p, ok := w.current()[dest]
	if !ok {
		return FlowState{}, fmt.Errorf("flow state of %q: %w", dest, ErrUnknownDestination)
	}
	return p.flow.state(w.now()), nil
}

// admit applies flow control and the max age to a leased delivery, in the
// lease loop. It returns whether the delivery goes to the pool, and if so
// whether it is the circuit's probe; otherwise it has been dealt with.
func (w *Worker) admit(p *pool, d event.Delivery, expires time.Time) (ok, probe bool) {
	now := w.now()
	if p.policy.expired(budgetStart(d), now) {
		w.expire(p, d, now)
		return false, false
	}
	v, at, probe := p.flow.admit(now, p.timeout)
	switch v {
	case hold:
		w.log.Debug("deliver: destination paused, holding delivery", "delivery_id", d.ID, "destination", p.name)
		w.park(d.ID, lease{d.Lease, expires})
		p.flow.hold(d.ID)
		return false, false
	case later:
		w.log.Debug("deliver: destination cannot take the delivery yet", "delivery_id", d.ID, "destination", p.name, "due", at)
		w.postpone(d, at)
		return false, false
	}
	return true, probe
}

// postpone gives a leased delivery back, due at at, with the next flush
// (lease loop only).
func (w *Worker) postpone(d event.Delivery, at time.Time) {
	if w.later == nil {
		w.later = map[time.Time]map[string]string{}
	}
	if w.later[at] == nil {
		w.later[at] = map[string]string{}
	}
	w.later[at][d.ID] = d.Lease
}

// flushLater writes the postponements of this lease round, one Release per
// due time, all at once so that the store commits them together (lease
// loop only). A failed one parks its deliveries, so that Stop releases them
// or their leases expire.
func (w *Worker) flushLater(expires time.Time) {
	var wg sync.WaitGroup
	for at, leases := range w.later {
		wg.Go(func() {
			if err := w.giveBack(at, leases); err != nil {
				for id, token := range leases {
					w.park(id, lease{token, expires})
				}
			}
		})
	}
	wg.Wait()
	clear(w.later)
}

// giveBack releases leases, due at at.
func (w *Worker) giveBack(at time.Time, leases map[string]string) error {
	ctx, cancel := context.WithTimeout(w.baseCtx, storeTimeout)
	defer cancel()
	if err := w.store.Release(ctx, at, leases); err != nil {
		w.log.Error("deliver: give back deliveries a destination cannot take yet; their leases will expire instead",
			"count", len(leases), "due", at, "err", err)
		return err
	}
	return nil
}

// recheck applies flow control again to a queued job just before its
// attempt (pool goroutine). It returns true if the job is not attempted
// now; then it has been dealt with.
func (w *Worker) recheck(p *pool, j job, now time.Time) bool {
	if p.policy.expired(budgetStart(j.d), now) { // it waited in the queue
		p.flow.abandon(j.probe)
		w.out <- w.expired(p, j.d, now) // counted in busy when queued
		return true
	}
	v, at := p.flow.recheck(now, j.probe, p.timeout)
	switch v {
	case hold:
		p.flow.hold(j.d.ID)
		w.leave(j)
		return true
	case later:
		if err := w.giveBack(at, map[string]string{j.d.ID: j.d.Lease}); err != nil {
			w.leave(j)
			return true
		}
		w.busy.Done()
		return true
	}
	return false
}

// expire makes a delivery whose max age has passed dead without attempting
// it: the attempt recorded says why.
func (w *Worker) expire(p *pool, d event.Delivery, now time.Time) {
	w.busy.Add(1)
	w.out <- w.expired(p, d, now)
}

// expired is the outcome of a delivery past its max age.
func (w *Worker) expired(p *pool, d event.Delivery, now time.Time) store.Outcome {
	n := d.Attempts + 1
	msg := fmt.Sprintf("not attempted: older than max_age (%s)", p.policy.MaxAge)
	w.observeDead(p.name)
	w.log.Warn("deliver: delivery dead, past its max age", "delivery_id", d.ID, "event_id", d.EventID,
		"destination", p.name, "attempt", n, "max_age", p.policy.MaxAge)
	return store.Outcome{
		DeliveryID:  d.ID,
		Lease:       d.Lease,
		Destination: d.Destination,
		State:       event.Dead,
		Attempt: event.Attempt{
			ID: w.newID(), DeliveryID: d.ID, N: n, StartedAt: now, Error: msg, Outcome: event.Dead,
		},
	}
}

// settle applies an attempt's outcome to flow control: the circuit breaker
// counts it, and a 410 Gone pauses the destination when the policy says so.
func (w *Worker) settle(p *pool, j job, res destination.Result, now time.Time) {
	failed := p.policy.Classify(res) == Retryable
	switch p.flow.record(now, failed, j.probe) {
	case CircuitOpen:
		st := p.flow.state(now)
		w.log.Warn("deliver: circuit opened; deliveries wait until it half-opens",
			"destination", p.name, "until", st.OpenUntil, "probe", j.probe)
	case CircuitClosed:
		w.log.Info("deliver: circuit closed; the probe succeeded", "destination", p.name)
	}
	if p.policy.gone(res) {
		w.log.Error("deliver: destination answered 410 Gone; pausing it (disable_on_410) until it is resumed",
			"destination", p.name, "delivery_id", j.d.ID, "event_id", j.d.EventID)
		_ = w.pause(p.name, "410 Gone")
	}
}

// capacity is how many more deliveries p can take at now: its queue's
// room, bounded by flow control. When flow control holds p back, it keeps
// in w.ready the earliest time it may take more (lease loop only).
func (w *Worker) capacity(p *pool, now time.Time) int {
	n := p.free()
	if n == 0 {
		return 0
	}
	m, ready := p.flow.room(now)
	if m == 0 {
		if !ready.IsZero() && (w.ready.IsZero() || ready.Before(w.ready)) {
			w.ready = ready
		}
		return 0
	}
	if m > 0 {
		n = min(n, m)
	}
	return n
}

// untilReady shortens the loop's wait to when a destination held back by
// flow control may take deliveries again.
func (w *Worker) untilReady(wait time.Duration) time.Duration {
	if w.ready.IsZero() {
		return wait
	}
	return min(wait, max(w.ready.Sub(w.now()), time.Millisecond))
}
