package deliver

import (
	"context"
	"time"

	"github.com/hookgate/hookgate/internal/store"
)

const (
	// maxFlush caps the outcomes written by one Complete.
	maxFlush = 512
	// completeTries is how often one batch of outcomes is tried before it
	// is given up (its deliveries are retried when their leases expire).
	completeTries = 3
	// completeBackoff is the first wait between tries; it doubles.
	completeBackoff = 100 * time.Millisecond
)

// collect writes outcomes back until w.out is closed: everything waiting
// at once, in one Complete.
func (w *Worker) collect() {
	defer close(w.collected)
	for o := range w.out {
		batch := []store.Outcome{o}
	more:
		for len(batch) < maxFlush {
			select {
			case o, ok := <-w.out:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		w.complete(batch)
	}
}

// complete writes one batch, retrying a few times.
func (w *Worker) complete(batch []store.Outcome) {
	defer w.busy.Add(-len(batch))
	wait := completeBackoff
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(w.baseCtx, storeTimeout)
		err := w.store.Complete(ctx, batch)
		cancel()
		if err == nil {
			w.released(batch)
			return
		}
		if try == completeTries {
			w.log.Error("deliver: record outcomes; giving up, the deliveries will be retried when their leases expire",
				"count", len(batch), "err", err)
			return
		}
		w.log.Warn("deliver: record outcomes", "count", len(batch), "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.attemptCtx.Done(): // Stop's deadline passed: last try now
			t.Stop()
		}
		wait *= 2
	}
}
