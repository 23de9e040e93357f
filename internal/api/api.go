// Package api is hookgate's management API, JSON under /api/v1: sources,
// destinations (pause, resume), events, deliveries and their attempts,
// rejections, dead letters, retries, replays, bulk jobs, stats and reload.
//
// Every route is in one table (routes.go), which registers the handlers
// and lists the routes for docs/openapi.yaml's test. Callers authenticate
// with a bearer token of scope read (GET routes) or admin (everything);
// without any configured token the API is off and answers 404, saying how
// to turn it on.
package api

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/apitoken"
	"github.com/hookgate/hookgate/internal/bulk"
	"github.com/hookgate/hookgate/internal/deliver"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Store is what the API reads and writes. Every store engine satisfies it.
type Store interface {
	Events(ctx context.Context, q store.EventQuery) ([]store.EventSummary, error)
	SourceStats(ctx context.Context, since time.Time) ([]store.SourceStats, error)
	DestinationStats(ctx context.Context, now time.Time) ([]store.DestinationStats, error)
	Event(ctx context.Context, id string) (*event.Event, error)
	Delivery(ctx context.Context, id string) (event.Delivery, error)
	Deliveries(ctx context.Context, f store.DeliveryFilter) ([]event.Delivery, error)
	Attempts(ctx context.Context, deliveryID string) ([]event.Attempt, error)
	Rejections(ctx context.Context, limit int) ([]event.Rejection, error)
	Retry(ctx context.Context, deliveryID string, now time.Time) error
	Discard(ctx context.Context, deliveryID string, now time.Time) error
	Replay(ctx context.Context, eventID string, destinations []string, now time.Time) ([]event.Delivery, error)
	bulk.DeadStore
	bulk.ReplayStore
}

var _ Store = store.Store(nil)

// Flow is the delivery worker's flow control of each destination.
// deliver.Worker satisfies it.
type Flow interface {
	Pause(dest string) error
	Resume(dest string) error
	FlowState(dest string) (deliver.FlowState, error)
}

var _ Flow = (*deliver.Worker)(nil)

// Destination is a configured destination, as the API lists it.
type Destination struct {
	// Name is the destination's name.
	Name string
	// Type is its kind (http, exec, amqp, ...).
	Type string
}

// Deps are what the API is built from.
type Deps struct {
	// Store holds events, deliveries and rejections. Required.
	Store Store
	// Tokens may call the API. With none, the API is off.
	Tokens *apitoken.Set
	// Flow pauses and resumes destinations and reports their circuit; nil
	// answers 501 to pause and resume.
	Flow Flow
	// Sources returns the configured sources' names (it is called per
	// request, so a reloaded config shows at once). Optional.
	Sources func() []string
	// Destinations returns the configured destinations, as Sources.
	// Replays to a destination not listed are refused. Optional.
	Destinations func() []Destination
	// Reload reloads the config; nil answers 501 to POST /reload. Its error
	// is shown to the caller (config errors name file:line, never a
	// secret).
	Reload func(ctx context.Context) error
	// Notify wakes this node's delivery workers after deliveries became
	// due (retries, replays). Optional.
	Notify func()
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default(). Tokens are never logged, only
	// their names.
	Logger *slog.Logger
}

// API serves the management API. Build it with New; Close stops its
// background jobs.
type API struct {
	d    Deps
	log  *slog.Logger
	now  func() time.Time
	mux  *http.ServeMux
	jobs *jobs
}

var _ http.Handler = (*API)(nil)

// New returns the API. It serves paths under Prefix.
func New(d Deps) *API {
	a := &API{
		d:   d,
		log: cmp.Or(d.Logger, slog.Default()),
		now: d.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.jobs = newJobs()
	a.mux = a.routes()
	return a
}

// ServeHTTP answers one request under Prefix.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	a.mux.ServeHTTP(w, r)
}

// Close cancels running bulk jobs and waits for them until ctx is done.
// A cancelled job stops between chunks: what it did stays done.
func (a *API) Close(ctx context.Context) error {
	return a.jobs.close(ctx)
}

// destinations returns the configured destinations (none when unknown).
func (a *API) destinations() []Destination {
	if a.d.Destinations == nil {
		return nil
	}
	return a.d.Destinations()
}

func (a *API) notify() {
	if a.d.Notify != nil {
		a.d.Notify()
	}
}
