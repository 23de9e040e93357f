// Package bulk runs the operator's bulk operations (retry every matching
// dead delivery, replay every matching event) in chunks: each chunk is one
// store call, its own transaction, so a large job never holds the database
// for long, and progress can be reported between chunks. The management
// API's background jobs run it.
package bulk

import (
	"context"
	"fmt"
	"time"

	"github.com/hookgate/hookgate/internal/store"
)

// Chunk is how many items one store call of a bulk job handles.
const Chunk = 500

// DeadStore is what RetryDead needs of the store.
type DeadStore interface {
	RetryDead(ctx context.Context, f store.DeadFilter, now time.Time) (store.Chunk, error)
	CountDead(ctx context.Context, f store.DeadFilter) (int, error)
}

// ReplayStore is what Replay needs of the store.
type ReplayStore interface {
	ReplayMatching(ctx context.Context, f store.EventFilter, destinations []string, now time.Time) (store.Chunk, error)
	CountEvents(ctx context.Context, f store.EventFilter) (int, error)
}

var (
	_ DeadStore   = store.Store(nil)
	_ ReplayStore = store.Store(nil)
)

// Progress is told how far a job is after each chunk: done of total
// items, and (for replays) how many deliveries were created so far. It is
// called from the job's goroutine.
type Progress func(done, total, deliveries int)

// Result is what a finished job did.
type Result struct {
	// Total is how many items matched when the job started.
	Total int
	// Done is how many were handled.
	Done int
	// Deliveries is how many deliveries a replay created.
	Deliveries int
}

// CountDead counts the dead deliveries f matches, as RetryDead will see
// them.
func CountDead(ctx context.Context, st DeadStore, f store.DeadFilter) (int, error) {
	n, err := st.CountDead(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("count dead deliveries: %w", err)
	}
	return n, nil
}

// RetryDead makes every dead delivery matching f due again at now, chunk
// by chunk. Deliveries that die while it runs and sort after its cursor
// are retried too; f.After and f.Limit are its own.
func RetryDead(ctx context.Context, st DeadStore, f store.DeadFilter, now time.Time, progress Progress) (Result, error) {
	f.After, f.Limit = "", 0
	total, err := CountDead(ctx, st, f)
	if err != nil {
		return Result{}, err
	}
	r := Result{Total: total}
	report(progress, r)
	f.Limit = Chunk
	for total > 0 {
		c, err := st.RetryDead(ctx, f, now)
		if err != nil {
			return r, fmt.Errorf("retry dead deliveries after %d of %d: %w", r.Done, total, err)
		}
		if c.N == 0 {
			break
		}
		r.Done, f.After = r.Done+c.N, c.Last
		report(progress, r)
	}
	return r, nil
}

// ReplayWindow returns f bounded to events received before now, as Replay
// sees it: events that arrive while a replay runs are not replayed.
func ReplayWindow(f store.EventFilter, now time.Time) store.EventFilter {
	if f.Until.IsZero() || f.Until.After(now) {
		f.Until = now
	}
	f.After, f.Limit = "", 0
	return f
}

// CountEvents counts the events f matches, as Replay at now will see them.
func CountEvents(ctx context.Context, st ReplayStore, f store.EventFilter, now time.Time) (int, error) {
	n, err := st.CountEvents(ctx, ReplayWindow(f, now))
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// Replay creates new deliveries, due at now, of every event matching f
// received before now: to destinations, or (when empty) to the
// destinations each event had. See store.Admin.ReplayMatching.
func Replay(ctx context.Context, st ReplayStore, f store.EventFilter, destinations []string, now time.Time, progress Progress) (Result, error) {
	f = ReplayWindow(f, now)
	total, err := CountEvents(ctx, st, f, now)
	if err != nil {
		return Result{}, err
	}
	r := Result{Total: total}
	report(progress, r)
	f.Limit = Chunk
	for total > 0 {
		c, err := st.ReplayMatching(ctx, f, destinations, now)
		if err != nil {
			return r, fmt.Errorf("replay events after %d of %d: %w", r.Done, total, err)
		}
		if c.N == 0 {
			break
		}
		r.Done, r.Deliveries, f.After = r.Done+c.N, r.Deliveries+c.Deliveries, c.Last
		report(progress, r)
	}
	return r, nil
}

func report(p Progress, r Result) {
	if p != nil {
		p(r.Done, r.Total, r.Deliveries)
	}
}
