package deliver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// maxError bounds the error text kept in an attempt record.
const maxError = 1 << 10

// pool is one destination's goroutines and queue.
type pool struct {
	name        string
	target      Target // what it was built from (SetTargets compares it)
	dest        destination.Destination
	policy      Policy
	concurrency int
	timeout     time.Duration
	flow        *flow
	// queue holds deliveries waiting for a goroutine. Only the lease loop
	// sends to it; SetTargets closes it when the pool is retired.
	queue chan job
	// running counts the pool's goroutines (see Worker.run).
	running sync.WaitGroup
}

// job is a leased delivery with its event.
type job struct {
	d       event.Delivery
	ev      *event.Event
	expires time.Time
	// probe marks the attempt a half-open circuit lets through.
	probe bool
	// pool is the pool the job was queued in.
	pool *pool
}

func newPool(name string, t Target) (*pool, error) {
	if t.Destination == nil {
		return nil, errors.New("no destination")
	}
	if t.Concurrency < 0 || t.Timeout < 0 {
		return nil, errors.New("concurrency and timeout must not be negative")
	}
	if t.Policy.MaxAttempts < 0 || t.Policy.Initial < 0 || t.Policy.Max < 0 || t.Policy.MaxAge < 0 {
		return nil, errors.New("retry policy fields must not be negative")
	}
	if err := t.RateLimit.check(); err != nil {
		return nil, err
	}
	if err := t.Circuit.check(); err != nil {
		return nil, err
	}
	n := cmp.Or(t.Concurrency, DefaultConcurrency)
	return &pool{
		name:        name,
		target:      t,
		dest:        t.Destination,
		policy:      t.Policy.withDefaults(),
		concurrency: n,
		timeout:     cmp.Or(t.Timeout, DefaultTimeout),
		flow:        newFlow(t),
		queue:       make(chan job, n),
	}, nil
}

// free is how many more deliveries the queue can take.
func (p *pool) free() int { return cap(p.queue) - len(p.queue) }

// offer queues j if there is room.
func (p *pool) offer(j job) bool {
	select {
	case p.queue <- j:
		return true
	default:
		return false
	}
}

// drain hands every queued job to f.
func (p *pool) drain(f func(job)) {
	for {
		select {
		case j, ok := <-p.queue:
			if !ok { // retired, and empty
				return
			}
			f(j)
		default:
			return
		}
	}
}

// work is one of p's goroutines: it attempts queued deliveries one at a
// time until Stop.
func (w *Worker) work(p *pool) {
	defer w.workers.Done()
	defer p.running.Done()
	for {
		select {
		case <-w.stopping:
			return
		case j, ok := <-p.queue:
			if !ok {
				return // retired (swap.go), and its queue is done
			}
			select {
			case <-w.stopping:
				w.leave(j) // both were ready; stopping wins
				return
			default:
			}
			w.attempt(p, j)
			select {
			case w.room <- struct{}{}:
			default:
			}
		}
	}
}

// attempt tries j once and passes the outcome to the collector.
func (w *Worker) attempt(p *pool, j job) {
	start := w.now()
	if w.recheck(p, j, start) {
		return
	}
	if !start.Add(p.timeout).Before(j.expires) {
		w.log.Warn("deliver: lease would expire during the attempt; leaving it to expire",
			"delivery_id", j.d.ID, "destination", p.name, "lease_expires", j.expires)
		w.leave(j)
		return
	}
	ctx, cancel := context.WithTimeout(w.attemptCtx, p.timeout)
	ctx, span := w.startSpan(ctx, p, j)
	defer endSpan(span)
	res := call(ctx, p.dest, j.ev, j.d)
	cancel()
	if res.Err != nil && w.attemptCtx.Err() != nil {
		// Cut short by Stop's deadline: not the destination's fault, so no
		// attempt is recorded; Stop releases the lease.
		w.leave(j)
		return
	}
	if w.unavailable(p, j, res) {
		return
	}
	end := w.now()
	n := j.d.Attempts + 1
	state, next := p.policy.Decide(res, tries(j.d)+1, budgetStart(j.d), end, w.rnd)
	w.settle(p, j, res, end)
	a := event.Attempt{
		ID:         w.newID(),
		DeliveryID: j.d.ID,
		N:          n,
		StartedAt:  start,
		Duration:   end.Sub(start),
		Status:     res.Status,
		Response:   res.Response[:min(len(res.Response), destination.MaxResponse)],
		Outcome:    state,
	}
	if res.Err != nil {
		a.Error = errorText(res.Err)
	}
	record(&a, res)
	w.logAttempt(p, j, a, next)
	w.observe(p, span, res, a)
	w.out <- store.Outcome{DeliveryID: j.d.ID, Lease: j.d.Lease, Destination: j.d.Destination, Attempt: a, State: state, NextAt: next}
}

func (w *Worker) logAttempt(p *pool, j job, a event.Attempt, next time.Time) {
	attrs := []any{"delivery_id", j.d.ID, "event_id", j.d.EventID, "destination", p.name,
		"attempt", a.N, "status", a.Status, "duration", a.Duration}
	if a.Error != "" {
		attrs = append(attrs, "err", a.Error)
	}
	switch a.Outcome {
	case event.Succeeded:
		w.log.Debug("deliver: delivered", attrs...)
	case event.Pending:
		w.log.Info("deliver: attempt failed, will retry", append(attrs, "next_at", next)...)
	default:
		w.log.Warn("deliver: delivery dead", attrs...)
	}
}

// call runs one Deliver, turning a panic into a failed attempt.
func call(ctx context.Context, d destination.Destination, ev *event.Event, del event.Delivery) (res destination.Result) {
	defer func() {
		if v := recover(); v != nil {
			res = destination.Result{Err: fmt.Errorf("destination panicked: %v", v)}
		}
	}()
	return d.Deliver(ctx, asSent(ev, del), del)
}

// errorText is err's message, bounded and valid UTF-8.
func errorText(err error) string {
	s := err.Error()
	if len(s) > maxError {
		s = s[:maxError]
	}
	return strings.ToValidUTF8(s, "")
}
