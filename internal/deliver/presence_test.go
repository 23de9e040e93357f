package deliver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
)

// present is a destination with a presence the test switches, and an
// answer it sets: a status, or ErrUnavailable.
type present struct {
	mu       sync.Mutex
	watchers []func(bool)
	online   bool
	calls    atomic.Int64
	gone     atomic.Bool // answer ErrUnavailable
}

func (p *present) Watch(f func(bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watchers = append(p.watchers, f)
	f(p.online)
}

func (p *present) set(online bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.online = online
	for _, f := range p.watchers {
		f(online)
	}
}

func (p *present) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) destination.Result {
	p.calls.Add(1)
	if p.gone.Load() {
		return destination.Result{Err: fmt.Errorf("listener dropped: %w", destination.ErrUnavailable)}
	}
	return destination.Result{Status: 200}
}

var _ Presence = (*present)(nil)

// An offline destination's deliveries are held without an attempt (also
// across lease expiries) and go out as soon as it comes online; an attempt
// that finds it unavailable is given back without an attempt either.
func TestPresenceHoldsWhileOffline(t *testing.T) {
	t.Parallel()
	st, clk := newFakeStore(), newClock()
	dev := &present{}
	w := newWorker(t, st, clk, map[string]Target{"dev": {Destination: dev}})
	ids := addMany(st, "d", 3, t0, "dev")

	run(t, w, clk, 3*time.Minute, 10*time.Second) // held leases expire and are held again
	if n := dev.calls.Load(); n != 0 {
		t.Fatalf("offline destination called %d times, want 0", n)
	}
	if s, _ := w.FlowState("dev"); !s.Offline {
		t.Errorf("FlowState = %+v, want offline", s)
	}
	for _, id := range ids {
		if d := st.delivery(id); d.Attempts != 0 || d.State != event.Pending {
			t.Fatalf("while offline: %s %s with %d attempts, want pending with none", id, d.State, d.Attempts)
		}
	}

	dev.gone.Store(true)
	dev.set(true) // online, but each attempt finds the listener gone
	round(t, w)
	if n := dev.calls.Load(); n == 0 {
		t.Fatal("online destination not called")
	}
	for _, id := range ids {
		d := st.delivery(id)
		if d.Attempts != 0 || d.State != event.Pending || d.Lease != "" {
			t.Fatalf("after ErrUnavailable: %s %s, %d attempts, lease %q; want pending, given back, no attempt", id, d.State, d.Attempts, d.Lease)
		}
		if want := clk.Now().Add(unavailableDelay); !d.NextAt.Equal(want) {
			t.Errorf("after ErrUnavailable: %s due %s, want %s", id, d.NextAt, want)
		}
	}

	dev.gone.Store(false)
	clk.Advance(unavailableDelay)
	round(t, w)
	for _, id := range ids {
		if d := st.delivery(id); d.State != event.Succeeded || d.Attempts != 1 {
			t.Errorf("online: %s %s after %d attempts, want succeeded after 1", id, d.State, d.Attempts)
		}
	}

	dev.set(false)
	late := st.add(testEvent("late", clk.Now()), "dev")[0]
	round(t, w)
	if d := st.delivery(late); d.Attempts != 0 {
		t.Fatalf("delivered while offline: %d attempts", d.Attempts)
	}
	dev.set(true) // gives the held lease back at once
	if d := st.delivery(late); d.Lease != "" {
		t.Fatalf("going online kept the held lease %q", d.Lease)
	}
	round(t, w)
	if d := st.delivery(late); d.State != event.Succeeded {
		t.Errorf("after going online again: %s, want succeeded", d.State)
	}
}
