package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/route"
)

// routeSpec turns a configured route into what the route compiler takes.
func routeSpec(file string, r config.Route) route.Spec {
	s := route.Spec{Name: fmt.Sprintf("%s:%d", file, r.Line), To: r.To, Filter: r.Filter}
	if r.Transform != nil {
		s.Transform = route.Transform{Body: r.Transform.Body, Headers: r.Transform.Headers}
	}
	if r.Ordering != nil {
		s.OrderingKey = r.Ordering.Key
	}
	return s
}

// CheckRoute is config.Options.CheckRoute: a route is valid when its
// expressions compile. Each problem names its field, so that config places
// it at the field's line; the message starts with the position in the
// expression ("2:7: ...") when there is one.
func CheckRoute(r config.Route) error {
	_, err := route.Compile(routeSpec("", r))
	var errs []error
	for _, e := range unjoin(err) {
		var re *route.Error
		if !errors.As(e, &re) {
			errs = append(errs, e)
			continue
		}
		msg, _ := strings.CutPrefix(re.Error(), re.Field+": ")
		errs = append(errs, &config.FieldError{Field: re.Field, Err: errors.New(msg)})
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// compileRoutes compiles cfg's routes and returns each source's, in file
// order. A route that fails is reported at its line.
func compileRoutes(cfg *config.Config) (map[string][]*route.Route, error) {
	out := map[string][]*route.Route{}
	var errs []error
	for i, r := range cfg.Routes {
		rt, err := route.Compile(routeSpec(cfg.File, r))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: routes[%d]: %w", cfg.File, r.Line, i, err))
			continue
		}
		for _, from := range r.From {
			out[from] = append(out[from], rt)
		}
	}
	return out, errors.Join(errs...)
}

// setRouteLogger gives the sources' routers log, for the (rate-limited)
// failures of their expressions.
func (p *Plan) setRouteLogger(log *slog.Logger) {
	for i := range p.Sources {
		s := &p.Sources[i]
		s.Router = route.NewRouter(s.Name, p.routes[s.Name], route.Options{Logger: log})
	}
}
