// Package retention removes, in the background, what the store no longer
// has to keep: old events with their deliveries and attempts, old dead
// letters and old rejections, as the config's retention section says.
//
// Every interval it runs a round: store Purge calls of one batch each (one
// small transaction each, so ingest is never held up for long), until a call
// removes less than a batch. Events with a pending delivery are never
// removed (the store's Purge sees to that).
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/store"
)

// Purger is the part of the store retention uses.
type Purger interface {
	// Purge removes old records as r says, at most r.Limit of each kind,
	// and returns how many events and rejections it removed.
	Purge(ctx context.Context, r store.Retention) (events, rejections int, err error)
}

var _ Purger = store.Store(nil)

// Clock tells the time and waits. Tests inject one they drive, so that
// they never sleep.
type Clock interface {
	Now() time.Time
	// After is time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the clock of the machine.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

var _ Clock = SystemClock{}

// Removed counts what a round removed.
type Removed struct {
	Events, Rejections int
}

// Run runs rounds of removal as cfg says, one every cfg.Interval, the first
// at once, until ctx ends; then it returns. A round that fails is logged
// and tried again at the next interval. With every period off, Run returns
// at once. cfg must have its defaults set.
func Run(ctx context.Context, st Purger, cfg config.Retention, clock Clock, log *slog.Logger) {
	if cfg.Events.Off && cfg.Dead.Off && cfg.Rejections.Off {
		log.Info("retention is off: events, dead letters and rejections are kept forever")
		return
	}
	for {
		start := clock.Now()
		n, err := Round(ctx, st, cfg, start)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("retention round failed; trying again later", "err", err,
				"events", n.Events, "rejections", n.Rejections, "retry_in", cfg.Interval.String())
		} else if n.Events > 0 || n.Rejections > 0 {
			log.Info("retention removed old records", "events", n.Events, "rejections", n.Rejections,
				"took", clock.Now().Sub(start).String())
		}
		select {
		case <-ctx.Done():
			return
		case <-clock.After(cfg.Interval.D()):
		}
	}
}

// Round removes what is older than cfg's periods at now, one batch per
// Purge call, until a call removes less than a batch of each kind. After
// each full batch it rests as long as the batch took, so a long purge (the
// first one on a large old store) takes at most half of the store's writer
// and ingest keeps its pace. It returns what it removed, also on an error.
func Round(ctx context.Context, st Purger, cfg config.Retention, now time.Time) (Removed, error) {
	r := store.Retention{
		Before:           cfg.Events.Cutoff(now),
		DeadBefore:       cfg.Dead.Cutoff(now),
		RejectionsBefore: cfg.Rejections.Cutoff(now),
		Limit:            cfg.Batch,
	}
	var n Removed
	for {
		began := time.Now()
		evs, rejs, err := st.Purge(ctx, r)
		took := time.Since(began)
		n.Events += evs
		n.Rejections += rejs
		if err != nil {
			return n, err
		}
		// A kind with less than a batch removed is done for this round.
		if evs < r.BatchSize() {
			r.Before, r.DeadBefore = time.Time{}, time.Time{}
		}
		if rejs < r.BatchSize() {
			r.RejectionsBefore = time.Time{}
		}
		if r.Before.IsZero() && r.DeadBefore.IsZero() && r.RejectionsBefore.IsZero() {
			return n, nil
		}
		rest := time.NewTimer(took)
		select {
		case <-ctx.Done():
			rest.Stop()
			return n, ctx.Err()
		case <-rest.C:
		}
	}
}

// Start runs Run in a goroutine of its own, and returns a function that
// stops it and waits for it to return (at most one Purge call away).
func Start(ctx context.Context, st Purger, cfg config.Retention, clock Clock, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, st, cfg, clock, log)
	}()
	return func() {
		cancel()
		<-done
	}
}
