package deliver

import (
	"errors"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
)

// unavailableDelay is how long a delivery whose destination turned out
// unavailable (destination.ErrUnavailable) waits before it is due again,
// so that a destination that keeps failing that way is not leased in a
// tight loop.
const unavailableDelay = 500 * time.Millisecond

// Presence is implemented by a destination that can take deliveries only
// while a peer is connected to it (a listen destination). While it is
// offline its deliveries are held like a paused destination's: not
// attempted, spending no attempt; when it comes online they are given back
// at once.
type Presence interface {
	// Watch calls f with whether the destination is online: at once, then
	// at every change, in order.
	Watch(f func(online bool))
}

// watchPresence follows p's presence when its destination has one (New).
func (w *Worker) watchPresence(p *pool) {
	pr, ok := p.dest.(Presence)
	if !ok {
		return
	}
	pr.Watch(func(online bool) { w.setOnline(p, online) })
}

// setOnline records that p's destination went online or offline.
func (w *Worker) setOnline(p *pool, online bool) {
	changed, held := p.flow.setOffline(!online)
	if !changed {
		return
	}
	if !online {
		w.log.Info("deliver: destination offline; its deliveries wait", "destination", p.name)
		return
	}
	w.log.Info("deliver: destination online", "destination", p.name, "held", len(held))
	w.releaseHeld(p.name, held)
}

// unavailable handles an attempt that could not be made at all (res.Err
// wraps destination.ErrUnavailable): no attempt is recorded, and the
// delivery is given back, due shortly. It reports whether res was such.
func (w *Worker) unavailable(p *pool, j job, res destination.Result) bool {
	if !errors.Is(res.Err, destination.ErrUnavailable) {
		return false
	}
	p.flow.abandon(j.probe)
	w.log.Info("deliver: destination unavailable; delivery given back without an attempt",
		"delivery_id", j.d.ID, "destination", p.name, "err", res.Err)
	if err := w.giveBack(w.now().Add(unavailableDelay), map[string]string{j.d.ID: j.d.Lease}); err != nil {
		w.leave(j)
		return true
	}
	w.busy.Done()
	return true
}
