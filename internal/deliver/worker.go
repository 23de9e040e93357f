package deliver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/internal/destination"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Defaults for Config and Target, the same as the configuration's.
const (
	DefaultBatch       = 128
	DefaultLeaseFor    = time.Minute
	DefaultPoll        = time.Second
	DefaultConcurrency = 16
	DefaultTimeout     = 10 * time.Second
)

const (
	// maxErrDelay caps the loop's backoff after store errors.
	maxErrDelay = 30 * time.Second
	// storeTimeout bounds each write made outside a caller's context
	// (Complete, Release).
	storeTimeout = 10 * time.Second
)

// Store is what a Worker needs of the store. store.Store satisfies it.
type Store interface {
	LeaseEach(ctx context.Context, now time.Time, limits store.LeaseLimits, leaseFor time.Duration) ([]event.Delivery, error)
	Complete(ctx context.Context, outcomes []store.Outcome) error
	Release(ctx context.Context, now time.Time, leases map[string]string) error
	Event(ctx context.Context, id string) (*event.Event, error)
}

var _ Store = store.Store(nil)

// Target is one configured destination and how to deliver to it.
type Target struct {
	// Destination sends one attempt. Required. It gets an *event.Event
	// shared with other attempts and must not change it.
	Destination destination.Destination
	// Policy decides retries and dead letters.
	Policy Policy
	// Concurrency caps attempts in flight to this destination; as many
	// more may wait in its queue. Default 16.
	Concurrency int
	// Timeout bounds one attempt. It must be shorter than the worker's
	// LeaseFor. Default 10s.
	Timeout time.Duration
	// RateLimit caps how fast attempts start; zero is no limit.
	RateLimit RateLimit
	// Circuit is the circuit breaker; zero is none.
	Circuit Circuit
	// Paused starts the destination paused (see Worker.Pause).
	Paused bool
}

// Config holds a Worker's dependencies and settings.
type Config struct {
	// Store holds the deliveries. Required.
	Store Store
	// Targets are the configured destinations, by name.
	Targets map[string]Target
	// Batch caps how many deliveries one lease claims. Default 128.
	Batch int
	// LeaseFor is how long a claimed delivery stays this worker's before
	// another may take it over. It must exceed every target's Timeout.
	// Default 1m.
	LeaseFor time.Duration
	// Poll is how often the worker looks for due deliveries when nothing
	// woke it. Default 1s.
	Poll time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for backoff jitter. It is called under
	// a lock, so it need not be safe for concurrent use. Default
	// math/rand/v2's Float64.
	Rand func() float64
	// NewID returns attempt ids. Default event.NewID.
	NewID func() string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Observer, when set, is told of attempts and dead letters (metrics).
	Observer Observer
	// Tracer, when set, traces each attempt as a child of the span that
	// received its event. Nil: no tracing, at no cost.
	Tracer trace.Tracer
}

// Worker delivers due deliveries to their destinations. Build it with New,
// run it with Start, end it with Stop. See the package documentation for
// the flow.
type Worker struct {
	store Store
	// pools are the destinations' pools by name, replaced whole by
	// SetTargets (swap.go); read it with current.
	pools    atomic.Pointer[map[string]*pool]
	batch    int
	leaseFor time.Duration
	poll     time.Duration
	now      func() time.Time
	rnd      func() float64
	newID    func() string
	log      *slog.Logger
	obs      Observer
	tracer   trace.Tracer

	wake chan struct{} // Notify
	room chan struct{} // a pool slot freed
	out  chan store.Outcome

	// lastLimit is the limit of the last lease (lease loop only).
	lastLimit int
	// othersAt is when the loop last leased deliveries to destinations
	// that are not configured (lease loop only).
	othersAt time.Time

	// ready is the earliest time a destination held back by flow control
	// may take deliveries again, zero if none (lease loop only).
	ready time.Time
	// later holds the deliveries of this lease round to give back, by due
	// time (lease loop only; see flow.go).
	later map[time.Time]map[string]string

	// round is held by each lease round and by SetTargets.
	round sync.Mutex

	mu      sync.Mutex
	started bool
	stopped bool
	// parked holds leases this worker keeps without working on them, by
	// delivery id; Stop releases the ones still valid.
	parked map[string]lease

	// baseCtx outlives Start's context: outcomes and releases are written
	// even after it is cancelled. attemptCtx is cancelled when Stop's
	// deadline passes.
	baseCtx        context.Context
	attemptCtx     context.Context
	cancelAttempts context.CancelFunc
	stopLoop       context.CancelFunc
	loopDone       chan struct{}
	stopping       chan struct{}
	workers        sync.WaitGroup
	collected      chan struct{}
	// busy counts deliveries handed to a pool or the collector and not yet
	// written back or parked; tests wait on it.
	busy sync.WaitGroup
}

// lease is a lease held by a worker.
type lease struct {
	token   string
	expires time.Time
}

// New checks cfg, fills its defaults and returns a Worker.
func New(cfg Config) (*Worker, error) {
	if cfg.Store == nil {
		return nil, errors.New("deliver: no store")
	}
	if cfg.Batch < 0 || cfg.LeaseFor < 0 || cfg.Poll < 0 {
		return nil, errors.New("deliver: batch, lease and poll must not be negative")
	}
	w := &Worker{
		store:    cfg.Store,
		batch:    cmp.Or(cfg.Batch, DefaultBatch),
		leaseFor: cmp.Or(cfg.LeaseFor, DefaultLeaseFor),
		poll:     cmp.Or(cfg.Poll, DefaultPoll),
		now:      cfg.Now,
		newID:    cfg.NewID,
		log:      cfg.Logger,
		obs:      cfg.Observer,
		tracer:   cfg.Tracer,
		wake:     make(chan struct{}, 1),
		room:     make(chan struct{}, 1),
		parked:   make(map[string]lease),
	}
	w.out = make(chan store.Outcome, w.batch)
	if w.now == nil {
		w.now = time.Now
	}
	if w.newID == nil {
		w.newID = event.NewID
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.rnd = locked(cfg.Rand)
	pools := make(map[string]*pool, len(cfg.Targets))
	for name, t := range cfg.Targets {
		p, err := w.newPool(name, t)
		if err != nil {
			return nil, err
		}
		pools[name] = p
	}
	w.pools.Store(&pools)
	return w, nil
}

// locked makes f safe for concurrent use; nil means math/rand/v2's Float64.
func locked(f func() float64) func() float64 {
	if f == nil {
		return rand.Float64
	}
	var mu sync.Mutex
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return f()
	}
}

// Start starts delivering. Cancelling ctx stops leasing (like Stop, but
// without waiting); call Stop in any case to drain and release. Start
// returns an error if the worker was started before.
func (w *Worker) Start(ctx context.Context) error {
	return w.start(ctx, true)
}

// start starts the pools and the collector, and the lease loop if loop is
// set: tests leave it out and drive runOnce themselves.
func (w *Worker) start(ctx context.Context, loop bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("deliver: worker already started")
	}
	w.started = true
	w.baseCtx = context.WithoutCancel(ctx)
	w.attemptCtx, w.cancelAttempts = context.WithCancel(w.baseCtx)
	w.stopping = make(chan struct{})
	w.collected = make(chan struct{})
	for _, p := range w.current() {
		w.run(p)
	}
	go w.collect()
	if loop {
		var loopCtx context.Context
		loopCtx, w.stopLoop = context.WithCancel(ctx)
		w.loopDone = make(chan struct{})
		go w.loop(loopCtx)
	}
	return nil
}

// Stop stops leasing and waits for attempts in flight until ctx is done,
// then cancels them. It writes the outcomes of finished attempts, releases
// the leases of deliveries not attempted, and returns once every goroutine
// has ended. The error tells whether ctx ended the drain or the release
// failed. Stop on a worker that is not running does nothing.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	if !w.started || w.stopped {
		w.mu.Unlock()
		return nil
	}
	w.stopped = true
	w.mu.Unlock()

	if w.stopLoop != nil {
		w.stopLoop()
		<-w.loopDone
	}
	close(w.stopping)
	drained := make(chan struct{})
	go func() {
		w.workers.Wait()
		close(drained)
	}()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = fmt.Errorf("drain deliveries: %w", ctx.Err())
		w.cancelAttempts()
		<-drained
	}
	for _, p := range w.current() {
		p.drain(w.leave)
	}
	close(w.out)
	<-w.collected
	if rerr := w.releaseParked(); rerr != nil {
		err = errors.Join(err, rerr)
	}
	w.cancelAttempts()
	return err
}

// Notify wakes the lease loop, so that a delivery just stored goes out
// within milliseconds instead of at the next poll. It never blocks and is
// safe to call at any time, from any goroutine.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// loop runs runOnce until ctx is done.
func (w *Worker) loop(ctx context.Context) {
	defer close(w.loopDone)
	timer := time.NewTimer(w.poll)
	defer timer.Stop()
	failures := 0
	for {
		n, err := w.runOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		wait, wake, room := w.poll, w.wake, (chan struct{})(nil)
		switch {
		case err != nil:
			failures++
			wait, wake = errDelay(w.poll, failures), nil
			w.log.Error("deliver: lease round failed", "err", err, "retry_in", wait)
		case n > 0 && n == w.lastLimit:
			failures = 0
			continue // a full lease: more may be due
		case w.lastLimit == 0:
			failures = 0
			room = w.room // every pool is full: go on when one frees a slot
		default:
			failures = 0
		}
		if err == nil {
			wait = w.untilReady(wait)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-room:
		case <-timer.C:
		}
	}
}

// errDelay is the wait after the nth consecutive failed round: poll,
// doubling, at most maxErrDelay.
func errDelay(poll time.Duration, n int) time.Duration {
	d := poll
	for i := 1; i < n && d < maxErrDelay; i++ {
		d *= 2
	}
	return min(d, maxErrDelay)
}

// runOnce leases what the pools have room for and hands each delivery to its
// destination's pool. It returns how many deliveries it leased.
func (w *Worker) runOnce(ctx context.Context) (int, error) {
	w.round.Lock() // SetTargets swaps pools between rounds
	defer w.round.Unlock()
	now := w.now()
	w.prune(now)
	limits := w.limits(now)
	limit := limits.Total()
	w.lastLimit = limit
	if limit == 0 {
		return 0, nil
	}
	if limits.Others > 0 {
		w.othersAt = now
	}
	ds, err := w.store.LeaseEach(ctx, now, limits, w.leaseFor)
	if err != nil {
		return 0, fmt.Errorf("lease deliveries: %w", err)
	}
	// The lease's expiry is computed here rather than read from NextAt, so
	// it is exactly what this worker asked for.
	expires := now.Add(w.leaseFor)
	events := make(map[string]loaded)
	for _, d := range ds {
		w.dispatch(ctx, d, expires, events)
	}
	w.flushLater(expires)
	return len(ds), nil
}

// unconfiguredEvery is how often the loop leases deliveries to
// destinations that are not configured (to record that they cannot be
// delivered; see the package documentation): finding them means reading
// past every configured destination's due deliveries.
const unconfiguredEvery = time.Minute

// limits is what the next lease may claim: for each destination, as many
// as its pool can take now, flow control allowing, up to the batch; and,
// once every unconfiguredEvery (or always, with no destination configured),
// a batch of deliveries to destinations that are not configured. It sets
// w.ready.
func (w *Worker) limits(now time.Time) store.LeaseLimits {
	w.ready = time.Time{}
	pools := w.current()
	var l store.LeaseLimits
	if len(pools) == 0 || now.Sub(w.othersAt) >= unconfiguredEvery {
		l.Others = w.batch
	}
	if len(pools) == 0 {
		return l
	}
	l.PerDestination = make(map[string]int, len(pools))
	for name, p := range pools {
		// Every configured destination is named, those without room with
		// 0, so that none of their deliveries counts among the others.
		l.PerDestination[name] = min(w.capacity(p, now), w.batch)
	}
	return l
}

// loaded is an event read for one batch, or why it could not be.
type loaded struct {
	ev  *event.Event
	err error
}

// dispatch hands d to its destination's pool, or parks it.
func (w *Worker) dispatch(ctx context.Context, d event.Delivery, expires time.Time, events map[string]loaded) {
	p, ok := w.current()[d.Destination]
	if !ok {
		w.unconfigured(d)
		return
	}
	if p.free() == 0 {
		w.log.Debug("deliver: destination busy, parking delivery until its lease expires",
			"delivery_id", d.ID, "destination", d.Destination, "lease_expires", expires)
		w.park(d.ID, lease{d.Lease, expires})
		return
	}
	admitted, probe := w.admit(p, d, expires)
	if !admitted {
		return // paused, rate limited, circuit open, or past its max age
	}
	l, ok := events[d.EventID]
	if !ok {
		l.ev, l.err = w.store.Event(ctx, d.EventID)
		events[d.EventID] = l
	}
	if l.err != nil {
		w.log.Error("deliver: load event; the delivery waits for its lease to expire",
			"delivery_id", d.ID, "event_id", d.EventID, "destination", d.Destination, "err", l.err)
		w.park(d.ID, lease{d.Lease, expires})
		p.flow.abandon(probe)
		return
	}
	w.busy.Add(1)
	if !p.offer(job{d: d, ev: l.ev, expires: expires, probe: probe, pool: p}) {
		// Only this goroutine fills queues, so free() > 0 means room; this
		// is a safety net.
		w.busy.Done()
		w.park(d.ID, lease{d.Lease, expires})
		p.flow.abandon(probe)
	}
}

// unconfigured records a failed attempt for a delivery whose destination is
// not configured, and keeps it pending. See the package documentation.
func (w *Worker) unconfigured(d event.Delivery) {
	now := w.now()
	n := d.Attempts + 1
	next := now.Add(Policy{}.ceiling(tries(d) + 1))
	w.log.Warn("deliver: destination not configured; delivery kept pending",
		"delivery_id", d.ID, "event_id", d.EventID, "destination", d.Destination, "attempt", n, "next_at", next)
	w.busy.Add(1)
	w.out <- store.Outcome{
		DeliveryID:  d.ID,
		Lease:       d.Lease,
		Destination: d.Destination,
		State:       event.Pending,
		NextAt:      next,
		Attempt: event.Attempt{
			ID:         w.newID(),
			DeliveryID: d.ID,
			N:          n,
			StartedAt:  now,
			Error:      "destination not configured",
			Outcome:    event.Pending,
		},
	}
}

// park keeps a lease without acting on it.
func (w *Worker) park(id string, l lease) {
	w.mu.Lock()
	w.parked[id] = l
	w.mu.Unlock()
}

// leave parks a job taken from a pool that will not be attempted.
func (w *Worker) leave(j job) {
	if j.pool != nil {
		j.pool.flow.abandon(j.probe)
	}
	w.park(j.d.ID, lease{j.d.Lease, j.expires})
	w.busy.Done()
}

// prune forgets parked leases that have expired: the store already treats
// those deliveries as due.
func (w *Worker) prune(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, l := range w.parked {
		if !l.expires.After(now) {
			delete(w.parked, id)
		}
	}
}

// releaseParked gives back the parked leases still valid.
func (w *Worker) releaseParked() error {
	now := w.now()
	w.prune(now)
	w.mu.Lock()
	leases := make(map[string]string, len(w.parked))
	for id, l := range w.parked {
		leases[id] = l.token
	}
	clear(w.parked)
	w.mu.Unlock()
	if len(leases) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(w.baseCtx, storeTimeout)
	defer cancel()
	if err := w.store.Release(ctx, now, leases); err != nil {
		w.log.Error("deliver: release leases; they will expire instead", "count", len(leases), "err", err)
		return fmt.Errorf("release %d leases: %w", len(leases), err)
	}
	w.log.Info("deliver: released leases not attempted", "count", len(leases))
	return nil
}
