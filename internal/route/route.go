// Package route decides where an event goes: which destinations get a
// delivery, with what body and headers, in which order. A route's filter,
// transform and ordering key are CEL expressions (github.com/google/cel-go),
// compiled once at startup and evaluated for every event, concurrently. The
// CEL environment is documented in docs/routing.md.
//
// An expression that fails at run time (a missing field, a wrong type) makes
// its route not match that event; the failure is logged, at most once a
// minute per route. It never fails the request: the event is stored, with
// the deliveries of the routes that did match (maybe none).
package route

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"

	"github.com/hookgate/hookgate/internal/event"
)

// Spec is a route as configured.
type Spec struct {
	// Name identifies the route in logs, such as "hookgate.yaml:31".
	Name string
	// To names the destinations matching events are delivered to.
	To []string
	// Filter is a CEL expression of type bool; an event goes through the
	// route when it is true. Empty means every event.
	Filter string
	// Transform rewrites what is sent. Empty fields leave the event as is.
	Transform Transform
	// OrderingKey is a CEL expression of type string. Deliveries to one
	// destination with the same non-empty key are made one at a time, in the
	// order the events were received. Empty means no ordering.
	OrderingKey string
}

// Transform rewrites what a route's deliveries send.
type Transform struct {
	// Body is a CEL expression whose value replaces the body: a string or
	// bytes as they are, anything else (a map, a list) encoded as JSON and
	// sent with Content-Type application/json.
	Body string
	// Headers maps header names to CEL expressions of type string, whose
	// values are set on the request (over the event's own headers and the
	// destination's; hookgate's Webhook-Id and Hookgate-* headers win).
	Headers map[string]string
}

// Route is a compiled route. It is safe for concurrent use.
type Route struct {
	name    string
	to      []string
	filter  cel.Program // nil: every event
	body    cel.Program // nil: the event's body
	headers []header
	key     cel.Program // nil: no ordering

	failures limiter
}

// header is one header a transform sets.
type header struct {
	name string // canonical
	prog cel.Program
}

// Error is a problem with one expression of a route, found by Compile.
type Error struct {
	// Field is the expression's path in the route: "filter",
	// "transform.body", "transform.headers.X-Name" or "ordering.key".
	Field string
	// Line and Column place the problem in the expression, from 1; 0 when
	// the problem is not at a position.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %d:%d: %s", e.Field, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Msg)
}

// Compile checks and compiles every expression of s. Its error joins one
// *Error per problem, with errors.Join.
func Compile(s Spec) (*Route, error) {
	e, err := env()
	if err != nil {
		return nil, fmt.Errorf("build the CEL environment: %w", err)
	}
	r := &Route{name: s.Name, to: slices.Clone(s.To), failures: limiter{every: time.Minute}}
	var errs []error
	prog := func(field, src string, want ...*cel.Type) cel.Program {
		p, err := compile(e, field, src, want...)
		if err != nil {
			errs = append(errs, err...)
		}
		return p
	}
	if s.Filter != "" {
		r.filter = prog("filter", s.Filter, cel.BoolType)
	}
	if s.Transform.Body != "" {
		r.body = prog("transform.body", s.Transform.Body)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Transform.Headers)) {
		field := headerField(name)
		if err := checkHeaderName(name); err != nil {
			errs = append(errs, &Error{Field: field, Msg: err.Error()})
			continue
		}
		p := prog(field, s.Transform.Headers[name], cel.StringType)
		r.headers = append(r.headers, header{name: http.CanonicalHeaderKey(name), prog: p})
	}
	if s.OrderingKey != "" {
		r.key = prog("ordering.key", s.OrderingKey, cel.StringType)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// compile compiles one expression, whose value must be of one of the types
// want (or dyn, checked when evaluated); no want means any type.
func compile(e *cel.Env, field, src string, want ...*cel.Type) (cel.Program, []error) {
	if strings.TrimSpace(src) == "" {
		return nil, []error{&Error{Field: field, Msg: "empty expression"}}
	}
	ast, iss := e.Compile(src)
	if iss.Err() != nil {
		var errs []error
		for _, ce := range iss.Errors() {
			errs = append(errs, &Error{
				Field: field, Line: ce.Location.Line(), Column: ce.Location.Column() + 1,
				Msg: strings.TrimSuffix(ce.Message, " (in container '')"),
			})
		}
		return nil, errs
	}
	if out := ast.OutputType(); len(want) > 0 && !out.IsExactType(cel.DynType) &&
		!slices.ContainsFunc(want, out.IsExactType) {
		return nil, []error{&Error{Field: field, Msg: fmt.Sprintf("has type %s, want %s", out, typeNames(want))}}
	}
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if hasComprehension(ast) {
		// Only a comprehension (all, exists, map, filter) can take more
		// than time linear in the input, for instance nested over a long
		// list; elsewhere, tracking the cost would double it.
		opts = append(opts, cel.CostLimit(costLimit))
	}
	p, err := e.Program(ast, opts...)
	if err != nil {
		return nil, []error{&Error{Field: field, Msg: err.Error()}}
	}
	return p, nil
}

func hasComprehension(a *cel.Ast) bool {
	nav := celast.NavigateAST(a.NativeRep())
	return len(celast.MatchDescendants(nav, celast.KindMatcher(celast.ComprehensionKind))) > 0
}

func typeNames(ts []*cel.Type) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.String())
	}
	return strings.Join(names, " or ")
}

// headerNameRE is what config field paths write unquoted.
var headerNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// headerField is the field path of the expression for header name, written
// as the config package writes map keys.
func headerField(name string) string {
	if headerNameRE.MatchString(name) {
		return "transform.headers." + name
	}
	return fmt.Sprintf("transform.headers[%q]", name)
}

// checkHeaderName refuses names that are not HTTP tokens, and those a
// transform cannot set.
func checkHeaderName(name string) error {
	if name == "" || strings.IndexFunc(name, notTokenChar) >= 0 {
		return fmt.Errorf("invalid header name %q", name)
	}
	switch http.CanonicalHeaderKey(name) {
	case "Host", "Content-Length", "Transfer-Encoding", "Connection":
		return fmt.Errorf("header %q cannot be set by a transform", name)
	}
	return nil
}

func notTokenChar(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	case c < 0x80 && strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		return false
	}
	return true
}

// Name is the route's name, as in Spec.
func (r *Route) Name() string { return r.name }

// Match reports whether ev goes through the route's filter. An evaluation
// error is returned, and means no match.
func (r *Route) Match(ev *event.Event) (bool, error) {
	return r.match(newVars(ev, nil))
}

func (r *Route) match(v *vars) (bool, error) {
	if r.filter == nil {
		return true, nil
	}
	out, _, err := r.filter.Eval(v)
	if err != nil {
		return false, fmt.Errorf("filter: %w", err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("filter: value of type %s, want bool", out.Type())
	}
	return bool(b), nil
}

// limiter lets one log line through per interval, counting the others.
type limiter struct {
	every   time.Duration
	next    atomic.Int64 // unix nanoseconds
	skipped atomic.Int64
}

// allow reports whether to log now, and how many lines were held back
// since the last one let through.
func (l *limiter) allow(now time.Time) (bool, int64) {
	n := l.next.Load()
	if now.UnixNano() < n || !l.next.CompareAndSwap(n, now.Add(l.every).UnixNano()) {
		l.skipped.Add(1)
		return false, 0
	}
	return true, l.skipped.Swap(0)
}
