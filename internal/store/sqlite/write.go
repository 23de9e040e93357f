package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// Ingest stores ev and one pending delivery per route, or reports the
// duplicate it is. An empty ev.ID gets a new id (ev is not modified).
func (s *Store) Ingest(ctx context.Context, ev *event.Event, routes []store.Route) (store.IngestResult, error) {
	if err := store.CheckIngest(ev, routes); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
	}
	if err := s.enter(); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindIngest)
	defer s.putRequest(r)
	r.ev, r.routes = ev, routes
	r.eventID = ev.ID
	if r.eventID == "" {
		r.eventID = event.NewID()
	}
	r.headers, r.keys = appendHeaderJSON(r.headers, r.keys, ev.Header)
	r.hdrEnds = append(r.hdrEnds, len(r.headers))
	for _, rt := range routes {
		r.ids = append(r.ids, event.NewID())
		if len(rt.Header) > 0 {
			r.headers, r.keys = appendHeaderJSON(r.headers, r.keys, rt.Header)
		}
		r.hdrEnds = append(r.hdrEnds, len(r.headers))
	}
	if err := s.write(ctx, r); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest event %s: %w", r.eventID, err)
	}
	if !r.res.Duplicate && len(routes) > 0 { // no deliveries: no worker reads it
		s.recent.put(ev, r.res.EventID)
	}
	return r.res, nil
}

// Reject records a refused request. An empty r.ID gets a new id.
func (s *Store) Reject(ctx context.Context, rej event.Rejection) error {
	if rej.ReceivedAt.IsZero() {
		return errors.New("reject: rejection has no receive time")
	}
	if err := s.enter(); err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindReject)
	defer s.putRequest(r)
	if rej.ID == "" {
		rej.ID = event.NewID()
	}
	r.rej = rej
	if err := s.write(ctx, r); err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	return nil
}

// Lease claims up to limit due deliveries for leaseFor, oldest due first.
// Across destinations, it sorts every pending delivery's due time (the due
// index leads with the destination, for LeaseEach, which the delivery worker
// uses).
func (s *Store) Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]event.Delivery, error) {
	switch {
	case now.IsZero():
		return nil, errors.New("lease: zero time")
	case limit <= 0:
		return nil, fmt.Errorf("lease: limit %d, want at least 1", limit)
	case leaseFor <= 0:
		return nil, fmt.Errorf("lease: lease time %v, want more than 0", leaseFor)
	}
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindLease)
	defer s.putRequest(r)
	r.now, r.limit, r.leaseFor = now, limit, leaseFor
	r.token = event.NewID()
	if err := s.write(ctx, r); err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	return r.leased, nil
}

// LeaseEach claims due deliveries for leaseFor, at most limits allow for
// each destination, oldest due first. limits.Others is shared out among the
// other destinations with pending deliveries in the order of their names
// (oldest due first within each), not by due time across them.
func (s *Store) LeaseEach(ctx context.Context, now time.Time, limits store.LeaseLimits, leaseFor time.Duration) ([]event.Delivery, error) {
	switch {
	case now.IsZero():
		return nil, errors.New("lease: zero time")
	case leaseFor <= 0:
		return nil, fmt.Errorf("lease: lease time %v, want more than 0", leaseFor)
	}
	if err := store.CheckLeaseLimits(limits); err != nil {
		return nil, err
	}
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindLease)
	defer s.putRequest(r)
	r.now, r.caps, r.leaseFor = now, &limits, leaseFor
	r.token = event.NewID()
	if err := s.write(ctx, r); err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	return r.leased, nil
}

// Complete records attempts and moves their deliveries, in one transaction.
// Outcomes whose lease no longer matches are skipped. An invalid outcome
// fails the whole call and nothing is written.
func (s *Store) Complete(ctx context.Context, outcomes []store.Outcome) error {
	for _, o := range outcomes {
		if err := store.CheckOutcome(o); err != nil {
			return fmt.Errorf("complete delivery %s: %w", o.DeliveryID, err)
		}
	}
	if len(outcomes) == 0 {
		return nil
	}
	if err := s.enter(); err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindComplete)
	defer s.putRequest(r)
	r.outcomes = outcomes
	for _, o := range outcomes {
		id := o.Attempt.ID
		if id == "" {
			id = event.NewID()
		}
		r.ids = append(r.ids, id)
	}
	if err := s.write(ctx, r); err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	return nil
}

// Release gives leased deliveries back, due at now.
func (s *Store) Release(ctx context.Context, now time.Time, leases map[string]string) error {
	if now.IsZero() {
		return errors.New("release: zero time")
	}
	if len(leases) == 0 {
		return nil
	}
	if err := s.enter(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindRelease)
	defer s.putRequest(r)
	r.now, r.leases = now, leases
	if err := s.write(ctx, r); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// Retry makes a dead delivery pending again, due at now.
func (s *Store) Retry(ctx context.Context, deliveryID string, now time.Time) error {
	if now.IsZero() {
		return errors.New("retry: zero time")
	}
	if err := s.enter(); err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindRetry)
	defer s.putRequest(r)
	r.token, r.now = deliveryID, now
	if err := s.write(ctx, r); err != nil {
		return fmt.Errorf("retry delivery %s: %w", deliveryID, err)
	}
	return nil
}

// Ping makes a tiny write through the writer, so it fails (with
// store.ErrUnavailable) when writes would: disk full, read-only, I/O errors.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	defer s.leave()
	r := s.getRequest(kindPing)
	defer s.putRequest(r)
	if err := s.write(ctx, r); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}
