package store

import (
	"context"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// DeadFilter selects dead deliveries for RetryDead and CountDead. Zero
// fields match all.
type DeadFilter struct {
	// Source, Destination and EventID match exactly.
	Source      string
	Destination string
	EventID     string
	// Since and Until bound when the delivery's event was received:
	// Since <= received_at < Until.
	Since time.Time
	Until time.Time
	// After skips deliveries whose id is not greater (the cursor of a bulk
	// job: the Last of the previous Chunk). CountDead honours it too.
	After string
	// Limit caps how many one call handles, oldest (by id) first; 0 means
	// all. CountDead ignores it.
	Limit int
}

// EventFilter selects events for ReplayMatching and CountEvents. Zero fields
// match all.
type EventFilter struct {
	// Source and Type match exactly.
	Source string
	Type   string
	// Since and Until bound when the event was received:
	// Since <= received_at < Until.
	Since time.Time
	Until time.Time
	// After skips events whose id is not greater (the cursor of a bulk
	// job). CountEvents honours it too.
	After string
	// Limit caps how many one call handles, oldest (by id) first; 0 means
	// all. CountEvents ignores it.
	Limit int
}

// Chunk reports one call of a bulk operation. Bulk jobs run in chunks (each
// its own transaction, so a large job never holds the database for long):
// call with Limit set, then again with After = Last, until N is 0.
type Chunk struct {
	// N is how many items the call handled: dead deliveries retried, or
	// events replayed.
	N int
	// Deliveries is how many deliveries the call created (ReplayMatching).
	Deliveries int
	// Last is the id of the last item handled, for the filter's After.
	// Empty when N is 0.
	Last string
}

// Admin is the part of Store that operators drive by hand, from the CLI or
// the management API: dead letters and replays. Every write here makes
// deliveries due at once, so it wakes the workers of every node (as Ingest
// does).
type Admin interface {
	// RetryDead makes the dead deliveries matching f pending again, due at
	// now, each with a fresh budget as Retry gives it. It handles at most
	// f.Limit of them, oldest (by id) first.
	RetryDead(ctx context.Context, f DeadFilter, now time.Time) (Chunk, error)
	// CountDead counts the dead deliveries matching f (Limit aside).
	CountDead(ctx context.Context, f DeadFilter) (int, error)
	// Discard gives up a dead or pending delivery: its state becomes
	// event.Discarded, its lease is dropped (an attempt in flight is not
	// recorded) and it is never attempted again. It and its attempts are
	// kept for the record. It returns ErrNotFound if no dead or pending
	// delivery has that id.
	Discard(ctx context.Context, deliveryID string, now time.Time) error
	// Replay creates new pending deliveries of an existing event, due at
	// now, one per destination; with no destinations, one for each
	// destination the event has (or had) a delivery to. The event's earlier
	// deliveries are left as they are. It returns the new deliveries, in
	// the order of destinations (by name when none were given), and
	// ErrNotFound if there is no such event. Destinations must be distinct.
	Replay(ctx context.Context, eventID string, destinations []string, now time.Time) ([]event.Delivery, error)
	// ReplayMatching replays, as Replay does, the events matching f: at
	// most f.Limit of them, oldest (by id) first. An event with no
	// deliveries and no destinations given is counted as handled, with
	// nothing created.
	ReplayMatching(ctx context.Context, f EventFilter, destinations []string, now time.Time) (Chunk, error)
	// CountEvents counts the events matching f (Limit aside).
	CountEvents(ctx context.Context, f EventFilter) (int, error)
}
