package relay

import (
	"fmt"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/listen"
	"github.com/hookgate/hookgate/internal/route"
)

// Filter picks the events a listener forwards; the others are acknowledged
// as skipped (the attempt records why) and not forwarded. The zero Filter
// forwards everything.
type Filter struct {
	// Source and Type, when set, must equal the event's.
	Source, Type string
	expr         *route.Route // nil: none
	text         string
}

// NewFilter returns a Filter on source, type and a CEL expression over the
// routes' variables (source, type, headers, query, body; see
// docs/routing.md). Empty arguments match everything.
func NewFilter(source, typ, expr string) (*Filter, error) {
	f := &Filter{Source: source, Type: typ, text: expr}
	if expr != "" {
		r, err := route.Compile(route.Spec{Name: "--filter", Filter: expr})
		if err != nil {
			return nil, fmt.Errorf("--filter: %w", err)
		}
		f.expr = r
	}
	return f, nil
}

// Skip returns why ev is skipped, or "" when it is forwarded.
func (f *Filter) Skip(ev *listen.Event) string {
	if f == nil {
		return ""
	}
	if f.Source != "" && ev.Source != f.Source {
		return fmt.Sprintf("source %q is not --source %q", ev.Source, f.Source)
	}
	if f.Type != "" && ev.Type != f.Type {
		return fmt.Sprintf("type %q is not --type %q", ev.Type, f.Type)
	}
	if f.expr != nil {
		ok, err := f.expr.Match(&event.Event{
			ID: ev.ID, Source: ev.Source, Type: ev.Type, Method: ev.Method,
			Query: ev.Query, Header: ev.Header, Body: ev.Body, ReceivedAt: ev.ReceivedAt,
		})
		switch {
		case err != nil:
			return fmt.Sprintf("--filter failed: %v", err)
		case !ok:
			return fmt.Sprintf("--filter %s is false", f.text)
		}
	}
	return ""
}
