package deliver

import (
	"slices"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// asSent returns ev as del sends it: with the body and headers of the
// route's transform (del.Body, del.Header) in place of ev's own, so that
// every kind of destination sends what the route made. ev itself is shared
// and not changed; without a transform it is returned as is.
func asSent(ev *event.Event, del event.Delivery) *event.Event {
	if del.Body == nil && del.Header == nil {
		return ev
	}
	out := *ev
	if del.Body != nil {
		out.Body = del.Body
	}
	if del.Header != nil {
		out.Header = make(map[string][]string, len(ev.Header)+len(del.Header))
		for k, vs := range ev.Header {
			out.Header[k] = vs
		}
		for k, vs := range del.Header {
			out.Header[k] = vs
		}
	}
	return &out
}

// released wakes the lease loop when an outcome just written finished a
// delivery (succeeded or dead): if it had an ordering key, the next
// delivery of that key is due now, and waiting for the next poll would
// hold every ordered key to one delivery per poll interval.
func (w *Worker) released(batch []store.Outcome) {
	if slices.ContainsFunc(batch, func(o store.Outcome) bool { return o.State != event.Pending }) {
		w.Notify()
	}
}
