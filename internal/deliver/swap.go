package deliver

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
)

// This file is the worker's side of a config reload: SetTargets swaps the
// destinations while deliveries go on.

// ErrStopped is returned by SetTargets once Stop has been called.
var ErrStopped = errors.New("deliver: worker stopped")

// SetTargets makes targets the worker's destinations from its next lease
// round on, without stopping it. By name:
//
//   - a target equal to the one the worker has (the same Destination value,
//     and equal settings) keeps its pool: its attempts in flight, its queue
//     and its flow control state (pause, circuit, rate) go on as they were;
//   - a new name gets a new pool, started at once;
//   - a name whose target differs gets a new pool, and the old one is
//     retired; so is the pool of a name that is gone.
//
// A retired pool takes no new deliveries; it finishes the ones it holds
// (attempts in flight and those already in its queue, with its old
// settings), gives back the deliveries it held while paused, due at once,
// and then closes its Destination if that is an io.Closer and no current
// target uses the same Destination. Stop waits for retired pools too.
//
// Deliveries stored for a name that is gone stay pending in the store: the
// lease loop treats them as it treats any unconfigured destination (see the
// package documentation), so configuring the name again resumes them.
//
// If a target is invalid, SetTargets returns why and changes nothing. It
// returns ErrStopped after Stop. It is safe for concurrent use; it waits for
// a lease round in progress to end.
func (w *Worker) SetTargets(targets map[string]Target) error {
	w.round.Lock()
	defer w.round.Unlock()
	old := w.current()
	next := make(map[string]*pool, len(targets))
	var fresh []*pool
	var errs []error
	for name, t := range targets {
		if p, ok := old[name]; ok && sameTarget(p.target, t) {
			next[name] = p
			continue
		}
		p, err := w.newPool(name, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next[name] = p
		fresh = append(fresh, p)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var retired []*pool
	for name, p := range old {
		if next[name] != p {
			retired = append(retired, p)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return ErrStopped
	}
	w.pools.Store(&next)
	// A removed destination's deliveries are now unconfigured: the next
	// round looks for them (round is held, so the loop is not reading it).
	w.othersAt = time.Time{}
	for _, p := range fresh {
		if w.started {
			w.run(p)
		}
	}
	for _, p := range retired {
		// The lease loop no longer sees p (it runs under w.round), so
		// nothing sends to its queue any more.
		close(p.queue)
		if w.started {
			w.workers.Add(1)
			go w.retire(p)
		} else {
			w.closeRetired(p)
		}
	}
	w.logSwap(old, next)
	w.Notify()
	return nil
}

// current returns the pools by destination name. The map is never
// modified; SetTargets replaces it.
func (w *Worker) current() map[string]*pool {
	return *w.pools.Load()
}

// newPool builds the pool of a target, checked against the worker's lease.
func (w *Worker) newPool(name string, t Target) (*pool, error) {
	p, err := newPool(name, t)
	if err != nil {
		return nil, fmt.Errorf("deliver: destination %q: %w", name, err)
	}
	if p.timeout >= w.leaseFor {
		return nil, fmt.Errorf("deliver: destination %q: timeout %s must be shorter than the lease (%s)", name, p.timeout, w.leaseFor)
	}
	return p, nil
}

// run starts p's goroutines, and follows its destination's presence (here
// rather than in newPool: a pool SetTargets builds and then drops must not
// stay registered). The caller holds w.mu, and the worker is started and
// not stopped.
func (w *Worker) run(p *pool) {
	w.watchPresence(p) // presence.go
	for range p.concurrency {
		w.workers.Add(1)
		p.running.Add(1)
		go w.work(p)
	}
}

// retire waits until a retired pool's goroutines have ended, then gives
// back what it holds and closes its destination.
func (w *Worker) retire(p *pool) {
	defer w.workers.Done()
	p.running.Wait()
	// Jobs are left in the queue only if Stop cut the pool short: parked,
	// Stop releases them.
	p.drain(w.leave)
	// Deliveries held while the pool was paused (or offline): due at once,
	// for the pool that replaces it (or as unconfigured ones). If that
	// fails, their leases expire instead (giveBack logs it).
	if held := p.flow.takeHeld(); len(held) > 0 {
		if leases := w.unpark(held); len(leases) > 0 {
			_ = w.giveBack(w.now(), leases)
		}
	}
	w.closeRetired(p)
}

// closeRetired closes a retired pool's destination, unless a current pool
// uses it.
func (w *Worker) closeRetired(p *pool) {
	c, ok := p.dest.(io.Closer)
	if !ok {
		return
	}
	for _, q := range w.current() {
		if sameDestination(q.dest, p.dest) {
			return
		}
	}
	if err := c.Close(); err != nil {
		w.log.Warn("deliver: close retired destination", "destination", p.name, "err", err)
	}
}

// logSwap logs which destinations SetTargets added, replaced and removed.
func (w *Worker) logSwap(old, next map[string]*pool) {
	var added, replaced, removed []string
	for name, p := range next {
		switch q, ok := old[name]; {
		case !ok:
			added = append(added, name)
		case q != p:
			replaced = append(replaced, name)
		}
	}
	for name := range old {
		if _, ok := next[name]; !ok {
			removed = append(removed, name)
		}
	}
	if len(added)+len(replaced)+len(removed) == 0 {
		return
	}
	slices.Sort(added)
	slices.Sort(replaced)
	slices.Sort(removed)
	w.log.Info("deliver: destinations swapped", "added", added, "replaced", replaced, "removed", removed)
}

// sameTarget reports whether a and b are the same Destination value with
// equal settings.
func sameTarget(a, b Target) bool {
	if !sameDestination(a.Destination, b.Destination) {
		return false
	}
	a.Destination, b.Destination = nil, nil
	return reflect.DeepEqual(a, b)
}

// sameDestination reports whether a and b are the same value; values of a
// type that cannot be compared never are.
func sameDestination(a, b destination.Destination) bool {
	t := reflect.TypeOf(a)
	return t != nil && t == reflect.TypeOf(b) && t.Comparable() && a == b
}

// takeHeld empties the held deliveries, whatever holds them.
func (f *flow) takeHeld() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	held := slices.Collect(maps.Keys(f.held))
	clear(f.held)
	return held
}
