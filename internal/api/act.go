package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/internal/bulk"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/reply"
	"github.com/hookgate/hookgate/internal/store"
)

// reloadTimeout bounds POST /reload.
const reloadTimeout = 30 * time.Second

func (a *API) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.delivery(r)
	if err != nil {
		return err
	}
	if d.State != event.Dead {
		return conflict("delivery %s is %s; only dead deliveries can be retried", d.ID, d.State)
	}
	if err := a.d.Store.Retry(r.Context(), d.ID, a.now()); errors.Is(err, store.ErrNotFound) {
		return conflict("delivery %s is no longer dead", d.ID)
	} else if err != nil {
		return fmt.Errorf("retry %s: %w", d.ID, err)
	}
	a.notify()
	return a.replyDelivery(w, r, d.ID)
}

func (a *API) discardDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.delivery(r)
	if err != nil {
		return err
	}
	if d.State != event.Dead && d.State != event.Pending {
		return conflict("delivery %s is %s; only dead and pending deliveries can be discarded", d.ID, d.State)
	}
	if err := a.d.Store.Discard(r.Context(), d.ID, a.now()); errors.Is(err, store.ErrNotFound) {
		return conflict("delivery %s is no longer dead or pending", d.ID)
	} else if err != nil {
		return fmt.Errorf("discard %s: %w", d.ID, err)
	}
	return a.replyDelivery(w, r, d.ID)
}

// replyDelivery answers with the delivery as it is now.
func (a *API) replyDelivery(w http.ResponseWriter, r *http.Request, id string) error {
	d, err := a.d.Store.Delivery(r.Context(), id)
	if err != nil {
		return fmt.Errorf("delivery %s: %w", id, err)
	}
	reply.JSON(w, http.StatusOK, deliveryView(d))
	return nil
}

// ReplayRequest is POST /events/{id}/replay's body (optional).
type ReplayRequest struct {
	// Destinations to deliver to; empty: the destinations the event had.
	Destinations []string `json:"destinations"`
}

func (a *API) replayEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := a.event(r)
	if err != nil {
		return err
	}
	var req ReplayRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	if err := a.checkDestinations("destinations", req.Destinations); err != nil {
		return err
	}
	ds, err := a.d.Store.Replay(r.Context(), ev.ID, req.Destinations, a.now())
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no event with id %s", ev.ID)
	} else if err != nil {
		return fmt.Errorf("replay %s: %w", ev.ID, err)
	}
	a.notify()
	reply.JSON(w, http.StatusCreated, DeliveryList{Deliveries: deliveryViews(ds)})
	return nil
}

// DeadRetryRequest is POST /dead/retry's body: which dead deliveries to
// retry. Empty fields match all.
type DeadRetryRequest struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	EventID     string `json:"event_id"`
	// Since and Until bound when the events were received (RFC 3339).
	Since string `json:"since"`
	Until string `json:"until"`
	// DryRun only counts them.
	DryRun bool `json:"dry_run"`
}

// BulkReplayRequest is POST /replay's body: which events to replay, and
// where. At least one of Source, Type, Since and Until is required.
type BulkReplayRequest struct {
	Source string `json:"source"`
	Type   string `json:"type"`
	Since  string `json:"since"`
	Until  string `json:"until"`
	// Destinations to deliver to; empty: the destinations each event had.
	Destinations []string `json:"destinations"`
	// DryRun only counts them.
	DryRun bool `json:"dry_run"`
}

// Matched is a dry run's answer.
type Matched struct {
	Matched int `json:"matched"`
}

// bodyTimes parses since and until fields.
func bodyTimes(since, until string) (s, u time.Time, err error) {
	if since != "" {
		if s, err = parseTime(since); err != nil {
			return s, u, badParam("since", "%v", err)
		}
	}
	if until != "" {
		if u, err = parseTime(until); err != nil {
			return s, u, badParam("until", "%v", err)
		}
	}
	if !s.IsZero() && !u.IsZero() && !s.Before(u) {
		return s, u, badParam("until", "must be after since")
	}
	return s, u, nil
}

func (a *API) retryDead(w http.ResponseWriter, r *http.Request) error {
	if err := queryParams(r).done(); err != nil {
		return err
	}
	var req DeadRetryRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	since, until, err := bodyTimes(req.Since, req.Until)
	if err != nil {
		return err
	}
	f := store.DeadFilter{Source: req.Source, Destination: req.Destination, EventID: req.EventID, Since: since, Until: until}
	if req.DryRun {
		n, err := bulk.CountDead(r.Context(), a.d.Store, f)
		if err != nil {
			return err
		}
		reply.JSON(w, http.StatusOK, Matched{n})
		return nil
	}
	return a.startJob(w, "retry_dead", func(ctx context.Context, now time.Time, p bulk.Progress) (bulk.Result, error) {
		return bulk.RetryDead(ctx, a.d.Store, f, now, p)
	})
}

func (a *API) replayMatching(w http.ResponseWriter, r *http.Request) error {
	if err := queryParams(r).done(); err != nil {
		return err
	}
	var req BulkReplayRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	since, until, err := bodyTimes(req.Since, req.Until)
	if err != nil {
		return err
	}
	if req.Source == "" && req.Type == "" && since.IsZero() && until.IsZero() {
		return badParam("body", "give at least one filter (source, type, since, until); to replay one event, POST /events/{id}/replay")
	}
	if err := a.checkDestinations("destinations", req.Destinations); err != nil {
		return err
	}
	f := store.EventFilter{Source: req.Source, Type: req.Type, Since: since, Until: until}
	if req.DryRun {
		n, err := bulk.CountEvents(r.Context(), a.d.Store, f, a.now())
		if err != nil {
			return err
		}
		reply.JSON(w, http.StatusOK, Matched{n})
		return nil
	}
	return a.startJob(w, "replay", func(ctx context.Context, now time.Time, p bulk.Progress) (bulk.Result, error) {
		return bulk.Replay(ctx, a.d.Store, f, req.Destinations, now, p)
	})
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := queryParams(r).done(); err != nil {
		return err
	}
	j, ok := a.jobs.get(id)
	if !ok {
		return notFound("no job with id %s (jobs are kept in memory, the last %d, until restart)", id, keepJobs)
	}
	reply.JSON(w, http.StatusOK, j)
	return nil
}

func (a *API) reload(w http.ResponseWriter, r *http.Request) error {
	if err := queryParams(r).done(); err != nil {
		return err
	}
	if a.d.Reload == nil {
		return &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "this gateway cannot reload its config"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), reloadTimeout)
	defer cancel()
	if err := a.d.Reload(ctx); err != nil {
		a.log.Error("api: reload refused", "err", err)
		return &Error{Status: http.StatusUnprocessableEntity, Code: "reload_refused", Message: err.Error()}
	}
	reply.JSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
	return nil
}
