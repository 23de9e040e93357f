// Package store defines Store, the one wide interface in hookgate: everything
// that must survive a crash goes through it. Engines live in sub-packages
// (sqlite, postgres) and must all pass the suite in storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/event"
)

// ErrNotFound is returned when the asked-for record does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnavailable wraps errors that mean the store cannot take writes right now
// (disk full, read-only, database down). Ingest answers 503 on it.
var ErrUnavailable = errors.New("store unavailable")

// ErrClosed is returned by calls made after Close. It wraps ErrUnavailable,
// so ingest answers 503 while shutting down.
var ErrClosed = fmt.Errorf("store closed: %w", ErrUnavailable)

// LeaseLimits bounds what one LeaseEach claims.
type LeaseLimits struct {
	// PerDestination caps the deliveries claimed per destination named.
	PerDestination map[string]int
	// Others caps the deliveries claimed, in all, to destinations not named
	// in PerDestination.
	Others int
}

// Total is the most deliveries l lets one lease claim.
func (l LeaseLimits) Total() int {
	n := l.Others
	for _, c := range l.PerDestination {
		n += max(c, 0)
	}
	return n
}

// CheckLeaseLimits says what is wrong with l, if anything.
func CheckLeaseLimits(l LeaseLimits) error {
	if l.Others < 0 {
		return fmt.Errorf("lease: others limit %d, want 0 or more", l.Others)
	}
	for d, n := range l.PerDestination {
		if n < 0 {
			return fmt.Errorf("lease: limit %d for destination %q, want 0 or more", n, d)
		}
	}
	if l.Total() == 0 {
		return errors.New("lease: every limit is 0")
	}
	return nil
}

// IngestResult tells what Ingest did with an event.
type IngestResult struct {
	// EventID is the id of the stored event. For a duplicate it is the id of
	// the event stored first.
	EventID string
	// Duplicate is true when the source already had an event with the same
	// DeliveryID; nothing was written.
	Duplicate bool
}

// MaxOrderingKey is the longest Route.OrderingKey a store accepts, in bytes.
const MaxOrderingKey = 255

// CheckOrderingKey reports why key cannot be a Route.OrderingKey, if it
// cannot. Engines refuse an Ingest with such a key.
func CheckOrderingKey(key string) error {
	switch {
	case len(key) > MaxOrderingKey:
		return fmt.Errorf("ordering key of %d bytes, over %d", len(key), MaxOrderingKey)
	case !utf8.ValidString(key) || strings.ContainsRune(key, 0):
		return errors.New("ordering key is not UTF-8 text without NUL")
	}
	return nil
}

// Route is one delivery Ingest creates: what a destination is owed for the
// event. Bodies and headers are only read, never changed.
type Route struct {
	// Destination names the destination. Required; one Route per
	// destination per event.
	Destination string
	// OrderingKey, when not empty, orders the delivery after every older
	// delivery (by event receive time, then delivery id) to the same
	// destination with the same key: Lease hands it out only once none of
	// those is pending. At most MaxOrderingKey bytes of UTF-8 without NUL.
	OrderingKey string
	// Body, when not nil, is sent instead of the event's body (a
	// transform). An empty, non-nil Body sends an empty body.
	Body []byte
	// Header, when not nil, is set on the request over the event's
	// headers.
	Header http.Header
}

// Outcome is the result of one attempt, to be written back by Complete.
type Outcome struct {
	// DeliveryID and Lease identify the leased delivery. The write is ignored
	// if the lease no longer matches (another worker took it over).
	DeliveryID string
	Lease      string
	// Destination is the delivery's destination, as leased. Optional: an
	// engine that keeps per-destination figures looks it up when empty.
	Destination string
	// Attempt is recorded as is; its N must be the delivery's Attempts+1.
	Attempt event.Attempt
	// State is where the delivery moves: Pending (retry at NextAt),
	// Succeeded or Dead.
	State  event.State
	NextAt time.Time
}

// DeliveryFilter selects deliveries in listings. Zero fields match all.
type DeliveryFilter struct {
	EventID     string
	Destination string
	State       event.State
	// Limit caps the result size; 0 means the engine's default (100).
	Limit int
}

// Store persists events, deliveries, attempts and rejections.
//
// All methods must be safe for concurrent use. Every write is durable
// (fsynced, or committed with synchronous_commit) when the method returns
// nil.
type Store interface {
	// Ingest stores ev and one pending delivery per route in one
	// transaction, due at ev.ReceivedAt, with the route's ordering key, body
	// and header. Engines group-commit concurrent calls; each call returns
	// only after its commit. If ev.DeliveryID is not empty and the source
	// already has an event with that DeliveryID, nothing is written and the
	// result is a duplicate. An empty ev.ID gets a new id (ev itself is not
	// modified); destinations must be distinct.
	Ingest(ctx context.Context, ev *event.Event, routes []Route) (IngestResult, error)
	// Reject records a refused request.
	Reject(ctx context.Context, r event.Rejection) error

	// Lease claims up to limit pending deliveries due at or before now,
	// oldest due first, for leaseFor: their NextAt becomes now+leaseFor and
	// Lease a fresh token. A delivery whose lease has expired is due again.
	// A delivery with an OrderingKey is left out while an older delivery to
	// the same destination with the same key is pending (leased, or waiting
	// for a retry); one that is succeeded or dead no longer holds it back.
	// This holds across every node sharing the store.
	Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]event.Delivery, error)
	// LeaseEach is Lease with a limit per destination: at most
	// limits.PerDestination[d] deliveries to each destination d it names,
	// and at most limits.Others in all to destinations it does not name.
	// A worker asks each destination for what that destination has room
	// for, so that a backlog to one destination is neither leased beyond
	// its room nor ahead of another destination's due deliveries.
	LeaseEach(ctx context.Context, now time.Time, limits LeaseLimits, leaseFor time.Duration) ([]event.Delivery, error)
	// Complete records attempts and moves their deliveries, all in one
	// transaction. Outcomes whose lease no longer matches are skipped.
	Complete(ctx context.Context, outcomes []Outcome) error
	// Release gives leased deliveries back, due at now, without recording an
	// attempt (used on shutdown, and with a later time to defer deliveries a
	// destination cannot take yet). Non-matching leases are skipped.
	Release(ctx context.Context, now time.Time, leases map[string]string) error
	// Retry makes a dead delivery pending again, due at now, keeping its
	// attempts, with a fresh budget: AttemptBase becomes Attempts and
	// RetriedAt now. It returns ErrNotFound if no dead delivery has that id.
	Retry(ctx context.Context, deliveryID string, now time.Time) error
	// Admin holds the bulk dead-letter and replay operations.
	Admin
	// Query holds the listings and stats of the management API, the web
	// UI and the metrics, and retention's Purge.
	Query

	// Event returns one event with its body and headers.
	Event(ctx context.Context, id string) (*event.Event, error)
	// Delivery returns one delivery.
	Delivery(ctx context.Context, id string) (event.Delivery, error)
	// Deliveries lists deliveries, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]event.Delivery, error)
	// Attempts lists a delivery's attempts, first first. It returns
	// ErrNotFound if there is no such delivery.
	Attempts(ctx context.Context, deliveryID string) ([]event.Attempt, error)
	// Rejections lists the newest refused requests, newest first.
	Rejections(ctx context.Context, limit int) ([]event.Rejection, error)

	// Ping reports whether the store can take writes (for /readyz).
	Ping(ctx context.Context) error
	// Close flushes pending writes and releases resources. Calls after Close
	// fail with ErrClosed; closing again returns nil.
	Close() error
}
