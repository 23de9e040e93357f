package store

import (
	"context"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// EventQuery selects events for listings (management API, web UI, CLI).
// Zero fields match all.
type EventQuery struct {
	// Source and Type match exactly.
	Source string
	Type   string
	// State keeps events with at least one delivery in that state.
	State event.State
	// Since and Until bound when the event was received:
	// Since <= received_at < Until.
	Since time.Time
	Until time.Time
	// Text keeps events whose body contains it (a byte substring,
	// case-sensitive).
	Text string
	// Before is the cursor of a page: only events with an id lower than
	// Before (listings run newest first).
	Before string
	// Limit caps the page; 0 means 50, and engines cap it at 500.
	Limit int
}

// EventSummary is one row of an event listing: no body, no headers.
type EventSummary struct {
	ID         string
	Source     string
	Type       string
	DeliveryID string
	Method     string
	ReceivedAt time.Time
	// Size is the body's length in bytes.
	Size int
	// Deliveries counts the event's deliveries by state (states with none
	// are absent).
	Deliveries map[event.State]int
}

// SourceStats sums up one source's traffic for the management API.
type SourceStats struct {
	Source string
	// Events counts the events received since the asked-for time.
	Events int
	// LastEventAt is when the newest event was received (zero if none).
	LastEventAt time.Time
	// Rejections counts requests refused since the asked-for time.
	Rejections int
	// LastRejection is the newest refused request, if any (any age).
	LastRejection *event.Rejection
}

// DestinationStats sums up one destination's backlog.
type DestinationStats struct {
	Destination string
	// Pending counts pending deliveries (due, waiting for a retry or
	// leased); Due counts those due at the asked-for time and not leased.
	Pending int
	Due     int
	// OldestDue is the NextAt of the oldest due delivery (zero if none):
	// now - OldestDue is how late the destination runs.
	OldestDue time.Time
	// Dead counts dead deliveries.
	Dead int
	// LastSuccessAt is when a delivery last succeeded (zero if never).
	LastSuccessAt time.Time
}

// Retention says what Purge removes.
type Retention struct {
	// Before: events received before it are removed with their deliveries
	// and attempts, unless one of their deliveries is dead or pending.
	Before time.Time
	// DeadBefore: events received before it are removed even with dead
	// deliveries (never with pending ones). Zero keeps dead letters.
	DeadBefore time.Time
	// RejectionsBefore: rejections received before it are removed.
	RejectionsBefore time.Time
	// Limit caps how many events (and, separately, rejections) one call
	// removes, so a purge never holds the writer for long. 0 means 500.
	Limit int
}

// Query is the read side the management API, the web UI and the metrics use,
// and retention. Every engine implements it.
type Query interface {
	// Events lists events matching q, newest first.
	Events(ctx context.Context, q EventQuery) ([]EventSummary, error)
	// SourceStats sums up every source that has events or rejections,
	// counting those received at or after since; by source name.
	SourceStats(ctx context.Context, since time.Time) ([]SourceStats, error)
	// DestinationStats sums up every destination that has deliveries, as of
	// now; by destination name.
	DestinationStats(ctx context.Context, now time.Time) ([]DestinationStats, error)
	// Purge removes old records as r says and returns how many events and
	// rejections it removed. Callers repeat it while it returns Limit.
	Purge(ctx context.Context, r Retention) (events, rejections int, err error)
}
