package verify

import (
	"net/url"
	"strings"
)

// field says where one part of an Identity is found: the first non-empty
// value among some headers, then some JSON paths of the body, then some
// form fields of the body, then code. The zero field finds nothing.
type field struct {
	headers []string
	// paths are JSON paths: object keys, and decimal indexes into arrays.
	paths [][]string
	// numbers accepts JSON numbers at paths too, not only strings.
	numbers bool
	form    []string
	fn      func(r *Request) string
	// doc describes fn, for docs/providers.md.
	doc string
}

// fromHeader reads the first of the named headers that is set.
func fromHeader(names ...string) field { return field{headers: names} }

// fromJSON reads a string at a JSON path of the body, such as
// fromJSON("event", "id") or fromJSON("events", "0", "type").
func fromJSON(path ...string) field { return field{paths: [][]string{path}} }

// fromJSONNumber reads a string or a number at a JSON path of the body.
func fromJSONNumber(path ...string) field { return field{paths: [][]string{path}, numbers: true} }

// fromForm reads a field of an application/x-www-form-urlencoded body.
func fromForm(names ...string) field { return field{form: names} }

// fromFunc reads what fn returns; doc says what that is.
func fromFunc(doc string, fn func(r *Request) string) field { return field{fn: fn, doc: doc} }

// or returns a field that tries f, then g.
func (f field) or(g field) field {
	f.headers = append(f.headers[:len(f.headers):len(f.headers)], g.headers...)
	f.paths = append(f.paths[:len(f.paths):len(f.paths)], g.paths...)
	f.numbers = f.numbers || g.numbers
	f.form = append(f.form[:len(f.form):len(f.form)], g.form...)
	if f.fn == nil {
		f.fn, f.doc = g.fn, g.doc
	}
	return f
}

func (f field) read(r *Request) string {
	for _, h := range f.headers {
		if v := r.Header.Get(h); v != "" {
			return v
		}
	}
	for _, p := range f.paths {
		if v := jsonScalar(r.Body, f.numbers, p...); v != "" {
			return v
		}
	}
	if len(f.form) > 0 {
		if q, err := url.ParseQuery(string(r.Body)); err == nil {
			for _, name := range f.form {
				if v := q.Get(name); v != "" {
					return v
				}
			}
		}
	}
	if f.fn != nil {
		return f.fn(r)
	}
	return ""
}

// String describes f for docs/providers.md.
func (f field) String() string {
	var out []string
	for _, h := range f.headers {
		out = append(out, "header `"+h+"`")
	}
	for _, p := range f.paths {
		out = append(out, "body `"+strings.Join(p, ".")+"`")
	}
	for _, name := range f.form {
		out = append(out, "form field `"+name+"`")
	}
	if f.doc != "" {
		out = append(out, f.doc)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", or ")
}

// identify reads an Identity from r.
func identify(r *Request, deliveryID, eventType field) Identity {
	return Identity{DeliveryID: deliveryID.read(r), Type: eventType.read(r)}
}
