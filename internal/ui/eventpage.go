package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/internal/store"
)

// maxDeliveries bounds the deliveries an event page lists.
const maxDeliveries = 200

// eventData is the event page's.
type eventData struct {
	Event *event.Event
	// Target is the request line's path and query, secrets redacted.
	Target  string
	Query   []field
	Headers []field
	Body    body
	// Deliveries are newest first, each with its attempts.
	Deliveries []deliveryView
	// ReplayTo are the destinations a replay may go to.
	ReplayTo []string
	// Notice says what the last button did.
	Notice string
}

// deliveryView is one delivery with its attempts, first first.
type deliveryView struct {
	event.Delivery
	Attempts []attemptView
}

// attemptView is one attempt as shown.
type attemptView struct {
	event.Attempt
	RequestHeader  []field
	ResponseHeader []field
	Response       body
}

// eventPage serves GET /ui/events/{id}: the request as received, then
// every delivery and its attempts (kept live by the script), and the
// buttons.
func (u *UI) eventPage(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	ev, err := u.store.Event(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		u.errorPageAs(w, r, s, http.StatusNotFound, "There is no event with that id (it may have been purged).")
		return
	}
	if err != nil {
		u.storeError(w, r, s, "read event", err)
		return
	}
	ds, err := u.deliveries(r.Context(), id)
	if err != nil {
		u.storeError(w, r, s, "read deliveries", err)
		return
	}
	d := eventData{
		Event:      ev,
		Target:     "/in/" + url.PathEscape(ev.Source),
		Query:      queryFields(ev.Query),
		Headers:    headerFields(ev.Header),
		Body:       showBody(ev.Body),
		Deliveries: ds,
		ReplayTo:   u.replayTargets(ds),
		Notice:     notice(r.URL.Query()),
	}
	if ev.Query != "" {
		d.Target += "?" + redact.Query(ev.Query)
	}
	u.render(w, r, http.StatusOK, "event", view{Title: "Event " + ev.ID, Nav: "feed", Session: &s, Data: d})
}

// deliveriesFragment serves GET /ui/events/{id}/deliveries: the event
// page's deliveries section alone, for the script to swap in.
func (u *UI) deliveriesFragment(w http.ResponseWriter, r *http.Request, s session) {
	ds, err := u.deliveries(r.Context(), r.PathValue("id"))
	if err != nil {
		u.log.Error("ui: read deliveries", "err", err)
		http.Error(w, "the store could not be read", http.StatusInternalServerError)
		return
	}
	u.renderFragment(w, "event", "deliveries", view{Session: &s, Data: eventData{Deliveries: ds}})
}

// deliveries reads an event's deliveries, newest first, with their
// attempts.
func (u *UI) deliveries(ctx context.Context, eventID string) ([]deliveryView, error) {
	ds, err := u.store.Deliveries(ctx, store.DeliveryFilter{EventID: eventID, Limit: maxDeliveries})
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", eventID, err)
	}
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		as, err := u.store.Attempts(ctx, d.ID)
		if err != nil {
			return nil, fmt.Errorf("list attempts of %s: %w", d.ID, err)
		}
		dv := deliveryView{Delivery: d}
		for _, a := range as {
			dv.Attempts = append(dv.Attempts, attemptView{
				Attempt:        a,
				RequestHeader:  headerFields(a.Request.Header),
				ResponseHeader: headerFields(a.ResponseHeader),
				Response:       showBody(a.Response),
			})
		}
		out = append(out, dv)
	}
	return out, nil
}

// replayTargets lists, by name, the destinations the event had
// deliveries to and the configured ones.
func (u *UI) replayTargets(ds []deliveryView) []string {
	names := slices.Clone(u.dests)
	for _, d := range ds {
		names = append(names, d.Destination)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// notice says what the button that led to the page did, from its query.
func notice(q url.Values) string {
	if n, err := strconv.Atoi(q.Get("replayed")); err == nil {
		if n == 1 {
			return "Replayed: 1 new delivery."
		}
		return fmt.Sprintf("Replayed: %d new deliveries.", n)
	}
	if q.Get("retried") != "" {
		return "The dead delivery is pending again."
	}
	return ""
}

// replay serves POST /ui/events/{id}/replay: new deliveries of the event,
// to the destination of the form's "destination", or to each it had when
// that is empty.
func (u *UI) replay(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	var dests []string
	if d := r.PostFormValue("destination"); d != "" {
		ds, err := u.deliveries(r.Context(), id)
		if err != nil {
			u.storeError(w, r, s, "read deliveries", err)
			return
		}
		if !slices.Contains(u.replayTargets(ds), d) {
			u.errorPageAs(w, r, s, http.StatusBadRequest, "That destination is not one this event can be replayed to.")
			return
		}
		dests = []string{d}
	}
	created, err := u.store.Replay(r.Context(), id, dests, u.now())
	if errors.Is(err, store.ErrNotFound) {
		u.errorPageAs(w, r, s, http.StatusNotFound, "There is no event with that id (it may have been purged).")
		return
	}
	if err != nil {
		u.storeError(w, r, s, "replay", err)
		return
	}
	u.wake()
	u.log.Info("ui: replayed", "user", s.Name, "event_id", id, "destinations", dests, "deliveries", len(created))
	http.Redirect(w, r, "/ui/events/"+url.PathEscape(id)+"?replayed="+strconv.Itoa(len(created)), http.StatusSeeOther)
}

// retry serves POST /ui/deliveries/{id}/retry: a dead delivery becomes
// pending again.
func (u *UI) retry(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	d, err := u.store.Delivery(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		u.errorPageAs(w, r, s, http.StatusNotFound, "There is no delivery with that id.")
		return
	}
	if err != nil {
		u.storeError(w, r, s, "read delivery", err)
		return
	}
	err = u.store.Retry(r.Context(), id, u.now())
	if errors.Is(err, store.ErrNotFound) {
		u.errorPageAs(w, r, s, http.StatusConflict, "That delivery is not dead (any more): only dead deliveries can be retried.")
		return
	}
	if err != nil {
		u.storeError(w, r, s, "retry", err)
		return
	}
	u.wake()
	u.log.Info("ui: retried", "user", s.Name, "delivery_id", id)
	http.Redirect(w, r, "/ui/events/"+url.PathEscape(d.EventID)+"?retried=1", http.StatusSeeOther)
}

// wake tells the delivery workers there is work.
func (u *UI) wake() {
	if u.notify != nil {
		u.notify()
	}
}
