package route

import (
	"log/slog"
	"slices"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Options are a Router's optional dependencies.
type Options struct {
	// Logger gets the (rate-limited) evaluation failures. Default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock the rate limit is measured by. Default time.Now.
	Now func() time.Time
}

// Router routes the events of one source. It is safe for concurrent use.
type Router struct {
	source ref.Val
	routes []*Route
	// fixed, when no route has an expression, is the answer for every event.
	fixed []store.Route
	log   *slog.Logger
	now   func() time.Time
}

// NewRouter returns the router of source, whose routes are routes, in
// config order.
func NewRouter(source string, routes []*Route, o Options) *Router {
	r := &Router{source: types.String(source), routes: routes, log: o.Logger, now: o.Now}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	if !slices.ContainsFunc(routes, (*Route).dynamic) {
		r.fixed = []store.Route{}
		for _, rt := range routes {
			for _, to := range rt.to {
				if !taken(r.fixed, to) {
					r.fixed = append(r.fixed, store.Route{Destination: to})
				}
			}
		}
	}
	return r
}

// dynamic reports whether the route has an expression to evaluate.
func (r *Route) dynamic() bool {
	return r.filter != nil || r.body != nil || len(r.headers) > 0 || r.key != nil
}

// Routes returns the deliveries ev is owed: one per destination of the
// routes that match it, each destination once. When several matching routes
// lead to one destination, the first in config order decides its transform
// and ordering key. The result must not be modified.
func (r *Router) Routes(ev *event.Event) []store.Route {
	if r.fixed != nil {
		return r.fixed
	}
	v := newVars(ev, r.source)
	var out []store.Route
	for _, rt := range r.routes {
		if !slices.ContainsFunc(rt.to, func(to string) bool { return !taken(out, to) }) {
			continue // every destination is served by an earlier route
		}
		ok, err := rt.match(v)
		if err != nil {
			r.failed(rt, ev, err)
			continue
		}
		if !ok {
			continue
		}
		o, err := rt.output(v)
		if err != nil {
			r.failed(rt, ev, err)
			continue
		}
		if out == nil {
			out = make([]store.Route, 0, len(rt.to))
		}
		for _, to := range rt.to {
			if !taken(out, to) {
				out = append(out, store.Route{Destination: to, OrderingKey: o.key, Body: o.body, Header: o.header})
			}
		}
	}
	return out
}

func taken(rs []store.Route, dest string) bool {
	return slices.ContainsFunc(rs, func(r store.Route) bool { return r.Destination == dest })
}

// failed logs an evaluation failure, at most once per interval per route.
func (r *Router) failed(rt *Route, ev *event.Event, err error) {
	ok, skipped := rt.failures.allow(r.now())
	if !ok {
		return
	}
	r.log.Warn("route: expression failed, the route does not match this event",
		"route", rt.name, "source", ev.Source, "event_id", ev.ID, "err", err,
		"failures_not_logged", skipped)
}
