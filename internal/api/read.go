package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
)

// Page sizes: default and most.
const (
	defaultEvents     = 50
	maxEvents         = 500
	defaultDeliveries = 100
	maxDeliveries     = 1000
	defaultRejections = 50
	maxRejections     = 500
)

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	p := queryParams(r)
	q := store.EventQuery{
		Source: p.str("source"),
		Type:   p.str("type"),
		State:  p.state("status"),
		Since:  p.time("since"),
		Until:  p.time("until"),
		Text:   p.str("q"),
		Before: p.id("cursor"),
		Limit:  p.limit(defaultEvents, maxEvents),
	}
	if err := p.done(); err != nil {
		return err
	}
	evs, err := a.d.Store.Events(r.Context(), q)
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	page := EventPage{Events: make([]EventSummary, 0, len(evs))}
	for _, e := range evs {
		page.Events = append(page.Events, eventSummaryView(e))
	}
	if len(evs) == q.Limit {
		page.Next = evs[len(evs)-1].ID
	}
	reply.JSON(w, http.StatusOK, page)
	return nil
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := a.event(r)
	if err != nil {
		return err
	}
	reply.JSON(w, http.StatusOK, eventView(ev))
	return nil
}

// event loads the event named by the {id} wildcard.
func (a *API) event(r *http.Request) (*event.Event, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := queryParams(r).done(); err != nil {
		return nil, err
	}
	ev, err := a.d.Store.Event(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no event with id %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", id, err)
	}
	return ev, nil
}

func (a *API) eventDeliveries(w http.ResponseWriter, r *http.Request) error {
	ev, err := a.event(r)
	if err != nil {
		return err
	}
	ds, err := a.d.Store.Deliveries(r.Context(), store.DeliveryFilter{EventID: ev.ID, Limit: maxDeliveries})
	if err != nil {
		return fmt.Errorf("deliveries of %s: %w", ev.ID, err)
	}
	reply.JSON(w, http.StatusOK, DeliveryList{Deliveries: deliveryViews(ds)})
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	p := queryParams(r)
	f := store.DeliveryFilter{
		EventID:     p.id("event"),
		Destination: p.str("destination"),
		State:       p.state("state"),
		Limit:       p.limit(defaultDeliveries, maxDeliveries),
	}
	if err := p.done(); err != nil {
		return err
	}
	ds, err := a.d.Store.Deliveries(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	reply.JSON(w, http.StatusOK, DeliveryList{Deliveries: deliveryViews(ds)})
	return nil
}

func (a *API) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.delivery(r)
	if err != nil {
		return err
	}
	reply.JSON(w, http.StatusOK, deliveryDetail(d))
	return nil
}

// delivery loads the delivery named by the {id} wildcard.
func (a *API) delivery(r *http.Request) (event.Delivery, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return event.Delivery{}, err
	}
	if err := queryParams(r).done(); err != nil {
		return event.Delivery{}, err
	}
	d, err := a.d.Store.Delivery(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return event.Delivery{}, notFound("no delivery with id %s", id)
	}
	if err != nil {
		return event.Delivery{}, fmt.Errorf("delivery %s: %w", id, err)
	}
	return d, nil
}

func (a *API) deliveryAttempts(w http.ResponseWriter, r *http.Request) error {
	d, err := a.delivery(r)
	if err != nil {
		return err
	}
	atts, err := a.d.Store.Attempts(r.Context(), d.ID)
	if err != nil {
		return fmt.Errorf("attempts of %s: %w", d.ID, err)
	}
	list := AttemptList{Delivery: deliveryView(d), Attempts: make([]Attempt, 0, len(atts))}
	for _, at := range atts {
		list.Attempts = append(list.Attempts, attemptView(at))
	}
	reply.JSON(w, http.StatusOK, list)
	return nil
}

func (a *API) listRejections(w http.ResponseWriter, r *http.Request) error {
	p := queryParams(r)
	limit := p.limit(defaultRejections, maxRejections)
	if err := p.done(); err != nil {
		return err
	}
	rs, err := a.d.Store.Rejections(r.Context(), limit)
	if err != nil {
		return fmt.Errorf("list rejections: %w", err)
	}
	out := struct {
		Rejections []Rejection `json:"rejections"`
	}{Rejections: make([]Rejection, 0, len(rs))}
	for _, rj := range rs {
		out.Rejections = append(out.Rejections, rejectionView(rj))
	}
	reply.JSON(w, http.StatusOK, out)
	return nil
}

// listDead lists dead deliveries, by page of events (newest first) that
// have one: the filters are those of POST /dead/retry, so a listing shows
// what a bulk retry would take.
func (a *API) listDead(w http.ResponseWriter, r *http.Request) error {
	p := queryParams(r)
	dest := p.str("destination")
	eventID := p.id("event")
	q := store.EventQuery{
		Source: p.str("source"),
		State:  event.Dead,
		Since:  p.time("since"),
		Until:  p.time("until"),
		Before: p.id("cursor"),
		Limit:  p.limit(defaultEvents, maxEvents),
	}
	if err := p.done(); err != nil {
		return err
	}
	ctx := r.Context()
	list := DeliveryList{Deliveries: []Delivery{}}
	var ids []string
	if eventID != "" {
		ids = []string{eventID}
	} else {
		evs, err := a.d.Store.Events(ctx, q)
		if err != nil {
			return fmt.Errorf("list events with dead deliveries: %w", err)
		}
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
		if len(evs) == q.Limit {
			list.Next = evs[len(evs)-1].ID
		}
	}
	for _, id := range ids {
		ds, err := a.d.Store.Deliveries(ctx, store.DeliveryFilter{EventID: id, Destination: dest, State: event.Dead, Limit: maxDeliveries})
		if err != nil {
			return fmt.Errorf("dead deliveries of %s: %w", id, err)
		}
		list.Deliveries = append(list.Deliveries, deliveryViews(ds)...)
	}
	reply.JSON(w, http.StatusOK, list)
	return nil
}
