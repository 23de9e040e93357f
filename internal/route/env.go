package route

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/hookgate/hookgate/internal/event"
)

// Limits on what an expression may be. They keep a hostile or mistaken
// config from costing much at startup, and every event at run time.
const (
	// maxExprLen caps an expression's source, in bytes.
	maxExprLen = 8 << 10
	// costLimit caps one evaluation of an expression with a comprehension,
	// in CEL's abstract units (a few per element visited, about a
	// microsecond each): a walk over tens of thousands of elements fits,
	// a nested walk over a long list fails within about 0.1s.
	costLimit = 100_000
)

// newEnv builds the CEL environment every expression is compiled in. See
// docs/routing.md.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("source", cel.StringType),
		cel.Variable("type", cel.StringType),
		cel.Variable("headers", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("query", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("body", cel.DynType),
		// JSON numbers are doubles: let body.count > 5 compare with an int.
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(maxExprLen),
		ext.Strings(),
		ext.Encoders(),
	)
}

// env is the one environment, built on first use. A cel.Env is immutable
// once built and safe for concurrent use, so sharing it is sharing a
// constant; it is built lazily because it costs about a millisecond.
var env = sync.OnceValues(newEnv)

// vars is the activation an event's expressions are evaluated with. Each
// variable is computed when an expression first reads it and kept for the
// event's other routes: a body is parsed only if an expression reads it, and
// at most once. A vars is used by one goroutine.
type vars struct {
	ev     *event.Event
	source ref.Val

	typ, headers, query, body ref.Val
}

var _ interpreter.Activation = (*vars)(nil)

func newVars(ev *event.Event, source ref.Val) *vars {
	if source == nil {
		source = types.String(ev.Source)
	}
	return &vars{ev: ev, source: source}
}

// ResolveName implements interpreter.Activation.
func (v *vars) ResolveName(name string) (any, bool) {
	switch name {
	case "source":
		return v.source, true
	case "type":
		if v.typ == nil {
			v.typ = types.String(v.ev.Type)
		}
		return v.typ, true
	case "headers":
		if v.headers == nil {
			v.headers = types.NewStringStringMap(types.DefaultTypeAdapter, headerMap(v.ev))
		}
		return v.headers, true
	case "query":
		if v.query == nil {
			v.query = types.NewStringStringMap(types.DefaultTypeAdapter, queryMap(v.ev.Query))
		}
		return v.query, true
	case "body":
		if v.body == nil {
			v.body = parseBody(v.ev.Body)
		}
		return v.body, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *vars) Parent() interpreter.Activation { return nil }

// headerMap maps each header's lower-case name to its first value.
func headerMap(ev *event.Event) map[string]string {
	m := make(map[string]string, len(ev.Header))
	for k, vs := range ev.Header {
		if len(vs) > 0 {
			m[lower(k)] = vs[0]
		}
	}
	return m
}

// lower is strings.ToLower for header names, which are ASCII.
func lower(s string) string {
	for i := range len(s) {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// queryMap maps each query parameter to its first value. A malformed query
// gives what could be read of it.
func queryMap(raw string) map[string]string {
	if raw == "" {
		return map[string]string{}
	}
	vs, _ := url.ParseQuery(raw)
	m := make(map[string]string, len(vs))
	for k, v := range vs {
		m[k] = v[0]
	}
	return m
}

// parseBody is the body as JSON, or null when it is not JSON. Numbers are
// doubles, as in JavaScript. JSON is UTF-8 (RFC 8259): a body that is not
// valid UTF-8 is not JSON, though encoding/json would read it with its bad
// bytes replaced by U+FFFD, so that a filter could match a body that a
// strict receiver refuses.
func parseBody(b []byte) ref.Val {
	var x any
	if len(b) == 0 || !utf8.Valid(b) || json.Unmarshal(b, &x) != nil {
		return types.NullValue
	}
	return types.DefaultTypeAdapter.NativeToValue(x)
}
