package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// params reads a request's query parameters. The first bad one is kept as
// the error; done also refuses parameters no one read, so a misspelt
// filter is a 400, not a silently wider selection.
type params struct {
	q    url.Values
	read map[string]bool
	err  error
}

func queryParams(r *http.Request) *params {
	return &params{q: r.URL.Query(), read: map[string]bool{}}
}

// str returns the parameter's value ("" when absent).
func (p *params) str(name string) string {
	p.read[name] = true
	vs := p.q[name]
	switch {
	case len(vs) == 0:
		return ""
	case len(vs) > 1:
		p.fail(badParam(name, "given %d times", len(vs)))
	}
	return vs[0]
}

// time reads an RFC 3339 time.
func (p *params) time(name string) time.Time {
	s := p.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		p.fail(badParam(name, "%v", err))
	}
	return t
}

// limit reads a page size from 1 to max, def when absent.
func (p *params) limit(def, max int) int {
	s := p.str("limit")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		p.fail(badParam("limit", "want a whole number from 1 to %d, got %q", max, s))
		return def
	}
	return n
}

// state reads a delivery state.
func (p *params) state(name string) event.State {
	s := event.State(p.str(name))
	if s != "" && !s.Valid() {
		p.fail(badParam(name, "unknown state %q (want pending, succeeded, dead or discarded)", s))
	}
	return s
}

// id reads an id-like value: printable, no spaces, at most 128 bytes.
func (p *params) id(name string) string {
	s := p.str(name)
	if err := checkID(s); s != "" && err != nil {
		p.fail(badParam(name, "%v", err))
	}
	return s
}

func (p *params) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// done returns the first problem, or a 400 for a parameter not read.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	var unknown []string
	for k := range p.q {
		if !p.read[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		known := make([]string, 0, len(p.read))
		for k := range p.read {
			known = append(known, k)
		}
		slices.Sort(known)
		hint := "this endpoint takes no parameters"
		if len(known) > 0 {
			hint = "known: " + strings.Join(known, ", ")
		}
		return badParam(unknown[0], "unknown parameter (%s)", hint)
	}
	return nil
}

// parseTime reads an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("want an RFC 3339 time such as 2026-05-01T12:00:00Z, got " + strconv.Quote(s))
	}
	return t, nil
}

// checkID checks a path or filter id: hookgate's ids are UUIDs, but any
// short printable text is looked up (and simply not found).
func checkID(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if len(s) > 128 {
		return errors.New("longer than 128 bytes")
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return errors.New("holds spaces or control characters")
		}
	}
	return nil
}

// pathID returns the {id} path wildcard, checked.
func pathID(r *http.Request, name string) (string, error) {
	s := r.PathValue(name)
	if err := checkID(s); err != nil {
		return "", badParam(name, "%v", err)
	}
	return s, nil
}

// decodeBody reads the JSON body into v: at most maxBody bytes, no unknown
// fields, one value. An empty body leaves v as it is when optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return badParam("body", "could not read it: %v", err)
	}
	if len(body) > maxBody {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "body: larger than 64 KiB"}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if optional {
			return nil
		}
		return badParam("body", "required (a JSON object)")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badParam("body", "%s", jsonProblem(err))
	}
	if dec.More() {
		return badParam("body", "more than one JSON value")
	}
	return nil
}

// jsonProblem names the field of a decoding error where it can.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return "field " + te.Field + ": want " + te.Type.String() + ", got " + te.Value
	}
	if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + s
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
