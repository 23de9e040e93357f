// Package ui is hookgate's web UI, served at /ui: a live feed of events and
// refused requests, one page per event (the request as received, every
// delivery and attempt, replay and retry buttons), and a health page
// (sources, destinations, the last hour's throughput).
//
// Pages are rendered on the server with html/template; the little script and
// the stylesheet are embedded files, so the UI works under a strict
// Content-Security-Policy (no inline script or style, nothing from another
// origin) and the binary needs nothing beside it. The only script polls a
// JSON endpoint to keep the feed live and swaps in a server-rendered fragment
// to keep an event's deliveries live.
//
// People sign in with a management API token (see Deps.Authenticate). The
// session is a signed cookie (see session.go); every form carries a CSRF
// token bound to the session (see sessions.csrf). Read scope may look; admin
// scope may press buttons.
//
// Besides handler tests, browser_test.go drives a headless Chromium with
// github.com/chromedp/chromedp (a test-only dependency: the DevTools
// protocol over a pipe, no WebDriver or Node.js) through login, the live
// feed, replay and retry, and fails on any console error or CSP violation.
package ui

import (
	"cmp"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Scopes a session may have, as Deps.Authenticate reports them.
const (
	// ScopeRead may look at every page.
	ScopeRead = "read"
	// ScopeAdmin may also replay events and retry dead deliveries.
	ScopeAdmin = "admin"
)

// Store is what the UI reads and does through the store. store.Store with
// store.Query (every engine) satisfies it.
type Store interface {
	// Events lists events, newest first (the feed).
	Events(ctx context.Context, q store.EventQuery) ([]store.EventSummary, error)
	// Rejections lists the newest refused requests (the feed).
	Rejections(ctx context.Context, limit int) ([]event.Rejection, error)
	// Event, Deliveries and Attempts fill an event's page; Delivery finds
	// a retried delivery's event.
	Event(ctx context.Context, id string) (*event.Event, error)
	Delivery(ctx context.Context, id string) (event.Delivery, error)
	Deliveries(ctx context.Context, f store.DeliveryFilter) ([]event.Delivery, error)
	Attempts(ctx context.Context, deliveryID string) ([]event.Attempt, error)
	// SourceStats and DestinationStats fill the health page.
	SourceStats(ctx context.Context, since time.Time) ([]store.SourceStats, error)
	DestinationStats(ctx context.Context, now time.Time) ([]store.DestinationStats, error)
	// Replay and Retry are the buttons.
	Replay(ctx context.Context, eventID string, destinations []string, now time.Time) ([]event.Delivery, error)
	Retry(ctx context.Context, deliveryID string, now time.Time) error
}

// Minute is one minute of ingest traffic, for the throughput chart.
type Minute struct {
	// Start is when the minute began.
	Start time.Time
	// Accepted counts events stored; Rejected counts requests refused.
	Accepted, Rejected int
}

// Deps are the UI's dependencies and settings.
type Deps struct {
	// Store is read for every page and written by the buttons. Required.
	Store Store
	// Authenticate checks a management API token given at login and
	// returns who it belongs to and its scope (ScopeRead or ScopeAdmin).
	// Required.
	Authenticate func(token string) (name, scope string, ok bool)
	// Flow reports whether a destination is paused and its circuit
	// breaker's state ("closed", "open", "half-open", or "" when it has
	// none), for the health page. Nil shows neither.
	Flow func(dest string) (paused bool, circuit string)
	// Throughput returns the last 60 minutes' traffic, oldest first, for the
	// health page's chart. Nil leaves the chart out.
	Throughput func(now time.Time) []Minute
	// Notify, when set, is called after a replay or a retry to wake the
	// delivery workers (the worker's Notify). It must not block.
	Notify func()
	// Sources and Destinations are the configured names, so the health
	// page lists those without traffic too, and Replay offers every
	// destination. Optional.
	Sources      []string
	Destinations []string
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// SecureCookie marks the session cookie Secure even on plain HTTP
	// requests (behind a TLS-terminating proxy). Requests over TLS always
	// get Secure cookies.
	SecureCookie bool
	// Poll is how often the pages' script asks for news. Default 2s.
	Poll time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// UI serves /ui/. Build it with New.
type UI struct {
	store      Store
	auth       func(token string) (name, scope string, ok bool)
	flow       func(dest string) (paused bool, circuit string)
	throughput func(now time.Time) []Minute
	notify     func()
	sources    []string
	dests      []string
	poll       time.Duration
	now        func() time.Time
	log        *slog.Logger

	sessions *sessions
	pages    map[string]*template.Template
	static   *staticFiles
	mux      *http.ServeMux
}

var _ http.Handler = (*UI)(nil)

// New checks d and returns the UI. Each UI signs its cookies with a key of
// its own, drawn at random: sessions end when the process does.
func New(d Deps) (*UI, error) {
	if d.Store == nil {
		return nil, errors.New("ui: no store")
	}
	if d.Authenticate == nil {
		return nil, errors.New("ui: no Authenticate")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("ui: session key: %w", err)
	}
	u := &UI{
		store:      d.Store,
		auth:       d.Authenticate,
		flow:       d.Flow,
		throughput: d.Throughput,
		notify:     d.Notify,
		sources:    d.Sources,
		dests:      d.Destinations,
		poll:       cmp.Or(d.Poll, 2*time.Second),
		now:        d.Now,
		log:        d.Logger,
	}
	if u.now == nil {
		u.now = time.Now
	}
	if u.log == nil {
		u.log = slog.Default()
	}
	u.sessions = newSessions(key, cmp.Or(d.SessionTTL, 12*time.Hour), d.SecureCookie, u.now)
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	u.pages = pages
	u.static, err = newStaticFiles()
	if err != nil {
		return nil, err
	}
	u.mux = u.routes()
	return u, nil
}

// ServeHTTP serves every path under /ui/, with the security headers on
// every answer.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w.Header())
	u.mux.ServeHTTP(w, r)
}

// routes lists every path the UI serves. Pages need a session (a redirect
// to the login page otherwise); POSTs need the session's CSRF token, and
// the buttons need admin scope.
func (u *UI) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/login", u.loginPage)
	mux.Handle("POST /ui/login", u.sameOrigin(http.HandlerFunc(u.login)))
	mux.Handle("POST /ui/logout", u.form(ScopeRead, u.logout))
	mux.Handle("GET /ui/static/{file}", u.static)

	mux.Handle("GET /ui/{$}", u.page(u.feedPage))
	mux.Handle("GET /ui/feed.json", u.page(u.feedJSON))
	mux.Handle("GET /ui/events/{id}", u.page(u.eventPage))
	mux.Handle("GET /ui/events/{id}/deliveries", u.page(u.deliveriesFragment))
	mux.Handle("GET /ui/health", u.page(u.healthPage))
	mux.Handle("POST /ui/events/{id}/replay", u.form(ScopeAdmin, u.replay))
	mux.Handle("POST /ui/deliveries/{id}/retry", u.form(ScopeAdmin, u.retry))

	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		u.errorPage(w, r, http.StatusNotFound, "There is no such page.")
	})
	return mux
}
