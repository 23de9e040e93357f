package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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
	if err := r.setIngest(ev, routes); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest event %s: %w", r.eventID, err)
	}
	if err := s.write(ctx, r); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest event %s: %w", r.eventID, err)
	}
	return r.res, nil
}

// setIngest fills r's arguments for Ingest: the ids the event and its
// deliveries get, and what is stored as text, made storable.
func (r *request) setIngest(ev *event.Event, routes []store.Route) error {
	r.ev, r.routes = ev, routes
	r.eventID = cmp.Or(ev.ID, event.NewID())
	r.source, r.deliveryID = text(ev.Source), text(ev.DeliveryID)
	headers, err := headerJSON(&r.buf, ev.Header)
	if err != nil {
		return fmt.Errorf("encode headers: %w", err)
	}
	r.headers = headers
	for _, rt := range routes {
		r.ids = append(r.ids, event.NewID())
		h := ""
		if len(rt.Header) > 0 {
			if h, err = headerJSON(&r.buf, rt.Header); err != nil {
				return fmt.Errorf("encode headers of the delivery to %q: %w", rt.Destination, err)
			}
		}
		r.rtHeaders = append(r.rtHeaders, h)
	}
	return nil
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
	rej.ID = cmp.Or(rej.ID, event.NewID())
	r.rej = rej
	if err := s.write(ctx, r); err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	return nil
}

// call registers a call made directly on the pool and bounds it by
// Options.Timeout. done must be called when the call ends.
func (s *Store) call(ctx context.Context) (_ context.Context, done func(), err error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		s.leave()
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	return ctx, func() { cancel(); s.leave() }, nil
}

// leaseSQL claims due deliveries, skipping rows another node is claiming at
// the same moment. RETURNING gives the new values, plus the old due time to
// sort by.
//
// A delivery with an ordering key is taken only when first in line: no
// older delivery (by created_at, then id) to the same destination with the
// same key is pending, leased or not (one probe of deliveries_ordering).
// This holds across nodes: the check and the claim are one statement, an
// older delivery stays pending until its Complete commits, and SKIP LOCKED
// only skips rows, so two nodes can never both take a key's head, nor one
// take what follows it while the head is pending in any snapshot.
const leaseSQL = `WITH due AS (
		SELECT id, next_at FROM deliveries d
		WHERE state = 'pending' AND next_at <= $1
			AND (d.ordering_key = '' OR NOT EXISTS (
				SELECT 1 FROM deliveries o
				WHERE o.destination = d.destination AND o.ordering_key = d.ordering_key
					AND o.ordering_key <> '' AND o.state = 'pending'
					AND (o.created_at, o.id) < (d.created_at, d.id)))
		ORDER BY next_at, id
		LIMIT $2
		FOR UPDATE SKIP LOCKED
	)
	UPDATE deliveries d SET next_at = $3, lease = $4
	FROM due WHERE d.id = due.id
	RETURNING due.next_at, d.id, d.event_id, d.destination, d.state, d.attempts,
		d.next_at, d.created_at, d.updated_at, d.last_error, d.lease, d.attempt_base, d.retried_at,
		d.ordering_key, d.headers, d.body`

// dueOrdered is leaseSQL's ordering rule for a delivery d.
const dueOrdered = `(d.ordering_key = '' OR NOT EXISTS (
				SELECT 1 FROM deliveries o
				WHERE o.destination = d.destination AND o.ordering_key = d.ordering_key
					AND o.ordering_key <> '' AND o.state = 'pending'
					AND (o.created_at, o.id) < (d.created_at, d.id)))`

// leaseEachSQL is leaseSQL per destination: up to $6[i] due deliveries to
// destination $5[i] (one range of deliveries_due_destination each), and up
// to $2 to the destinations not in $5.
const leaseEachSQL = `WITH caps (destination, n) AS (
		SELECT * FROM unnest($5::text[], $6::integer[])),
	due_to AS (
		SELECT c.id, c.next_at FROM caps CROSS JOIN LATERAL (
			SELECT id, next_at FROM deliveries d
			WHERE d.destination = caps.destination AND state = 'pending' AND next_at <= $1
				AND ` + dueOrdered + `
			ORDER BY next_at, id
			LIMIT caps.n
			FOR UPDATE SKIP LOCKED) c),
	due_others AS (
		SELECT id, next_at FROM deliveries d
		WHERE state = 'pending' AND next_at <= $1 AND d.destination <> ALL ($5::text[])
			AND ` + dueOrdered + `
		ORDER BY next_at, id
		LIMIT $2
		FOR UPDATE SKIP LOCKED),
	due AS (SELECT * FROM due_to UNION ALL SELECT * FROM due_others)
	UPDATE deliveries d SET next_at = $3, lease = $4
	FROM due WHERE d.id = due.id
	RETURNING due.next_at, d.id, d.event_id, d.destination, d.state, d.attempts,
		d.next_at, d.created_at, d.updated_at, d.last_error, d.lease, d.attempt_base, d.retried_at,
		d.ordering_key, d.headers, d.body`

// Lease claims up to limit due deliveries for leaseFor, oldest due first.
func (s *Store) Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]event.Delivery, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("lease: limit %d, want at least 1", limit)
	}
	return s.lease(ctx, now, leaseFor, leaseSQL, nanos(now), limit, nanos(now.Add(leaseFor)), event.NewID())
}

// LeaseEach claims due deliveries for leaseFor, at most limits allow for
// each destination, oldest due first.
func (s *Store) LeaseEach(ctx context.Context, now time.Time, limits store.LeaseLimits, leaseFor time.Duration) ([]event.Delivery, error) {
	if err := store.CheckLeaseLimits(limits); err != nil {
		return nil, err
	}
	dests := make([]string, 0, len(limits.PerDestination))
	caps := make([]int32, 0, len(limits.PerDestination))
	for d, n := range limits.PerDestination {
		dests, caps = append(dests, d), append(caps, int32(min(n, math.MaxInt32)))
	}
	return s.lease(ctx, now, leaseFor, leaseEachSQL, nanos(now), limits.Others, nanos(now.Add(leaseFor)), event.NewID(), dests, caps)
}

// lease runs sql, a statement claiming deliveries with args, and returns
// them oldest due first.
func (s *Store) lease(ctx context.Context, now time.Time, leaseFor time.Duration, sql string, args ...any) ([]event.Delivery, error) {
	switch {
	case now.IsZero():
		return nil, errors.New("lease: zero time")
	case leaseFor <= 0:
		return nil, fmt.Errorf("lease: lease time %v, want more than 0", leaseFor)
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	defer done()
	type leased struct {
		due int64
		d   event.Delivery
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("lease: %w", unavailable(err))
	}
	ls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (leased, error) {
		var l leased
		d, err := scanDelivery(row, &l.due)
		l.d = d
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("lease: %w", unavailable(err))
	}
	slices.SortFunc(ls, func(a, b leased) int {
		return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.d.ID, b.d.ID))
	})
	ds := make([]event.Delivery, len(ls))
	for i, l := range ls {
		ds[i] = l.d
	}
	if len(ds) > 0 {
		s.prefetch(ctx, ds)
	}
	return ds, nil
}

// completeSQL moves the deliveries whose lease matches and returns their new
// attempt counts. last_error keeps the last failure's text; a success
// leaves it.
const completeSQL = `UPDATE deliveries d SET state = o.state, attempts = d.attempts + 1,
		next_at = o.next_at, updated_at = o.finished, lease = '',
		last_error = CASE WHEN o.state = 'succeeded' THEN d.last_error ELSE o.error END
	FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
		AS o (id, lease, state, next_at, finished, error)
	WHERE d.id = o.id AND d.lease = o.lease AND d.lease <> ''
	RETURNING d.id, d.attempts`

const insertAttemptsSQL = `INSERT INTO attempts (delivery_id, n, id, started_at, duration, status, error, outcome, response,
		request_method, request_url, request_headers, response_headers)
	SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::bigint[], $5::bigint[],
		$6::integer[], $7::text[], $8::text[], $9::bytea[], $10::text[], $11::text[], $12::text[], $13::text[])`

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
	ctx, done, err := s.call(ctx)
	if err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	defer done()
	// A delivery named twice: the first outcome takes the lease, so the
	// second would be stale.
	byID := make(map[string]int, len(outcomes))
	var ids, leases, states, errs []string
	var next, finished []int64
	for i, o := range outcomes {
		if _, ok := byID[o.DeliveryID]; ok {
			continue
		}
		byID[o.DeliveryID] = i
		a := o.Attempt
		end := nanos(a.StartedAt.Add(a.Duration))
		ids, leases, states = append(ids, o.DeliveryID), append(leases, o.Lease), append(states, string(o.State))
		next, finished = append(next, cmp.Or(nanos(o.NextAt), end)), append(finished, end)
		errs = append(errs, text(a.Error))
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, completeSQL, ids, leases, states, next, finished, errs)
		if err != nil {
			return err
		}
		ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (moved, error) {
			var m moved
			err := row.Scan(&m.id, &m.n)
			return m, err
		})
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return nil
		}
		return s.insertAttempts(ctx, tx, outcomes, byID, ms)
	})
	if err != nil {
		return fmt.Errorf("complete: %w", unavailable(err))
	}
	return nil
}

// moved is a delivery that Complete moved, with its new attempt count.
type moved struct {
	id string
	n  int
}

// insertAttempts records the attempts of the moved deliveries, after
// checking each is numbered as the delivery's next attempt.
func (s *Store) insertAttempts(ctx context.Context, tx pgx.Tx, outcomes []store.Outcome, byID map[string]int, ms []moved) error {
	n := len(ms)
	dids, aids, errs, outs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	num, status := make([]int32, n), make([]int32, n)
	started, dur := make([]int64, n), make([]int64, n)
	resp := make([][]byte, n)
	rec := newAttemptRecords(n)
	for i, m := range ms {
		o := outcomes[byID[m.id]]
		a := o.Attempt
		if m.n != a.N {
			return fmt.Errorf("delivery %s: attempt numbered %d, but it is attempt %d", m.id, a.N, m.n)
		}
		dids[i], aids[i], errs[i], outs[i] = m.id, cmp.Or(a.ID, event.NewID()), text(a.Error), string(o.State)
		num[i], status[i] = int32(m.n), int32(a.Status)
		started[i], dur[i] = nanos(a.StartedAt), int64(a.Duration)
		resp[i] = nonNil(a.Response)
		if err := rec.set(i, &a); err != nil {
			return fmt.Errorf("delivery %s: %w", m.id, err)
		}
	}
	_, err := tx.Exec(ctx, insertAttemptsSQL, append([]any{dids, num, aids, started, dur, status, errs, outs, resp}, rec.args()...)...)
	return err
}

const releaseSQL = `UPDATE deliveries d SET lease = '', next_at = $3
	FROM unnest($1::text[], $2::text[]) AS r (id, lease)
	WHERE d.id = r.id AND d.lease = r.lease AND d.lease <> ''`

// Release gives leased deliveries back, due at now, and wakes the workers
// of every node.
func (s *Store) Release(ctx context.Context, now time.Time, leases map[string]string) error {
	if now.IsZero() {
		return errors.New("release: zero time")
	}
	if len(leases) == 0 {
		return nil
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	defer done()
	ids, tokens := make([]string, 0, len(leases)), make([]string, 0, len(leases))
	for id, l := range leases {
		ids, tokens = append(ids, id), append(tokens, l)
	}
	if _, err := s.execNotify(ctx, releaseSQL, ids, tokens, nanos(now)); err != nil {
		return fmt.Errorf("release: %w", unavailable(err))
	}
	return nil
}

// Retry makes a dead delivery pending again, due at now.
func (s *Store) Retry(ctx context.Context, deliveryID string, now time.Time) error {
	if now.IsZero() {
		return errors.New("retry: zero time")
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return fmt.Errorf("retry delivery %s: %w", deliveryID, err)
	}
	defer done()
	n, err := s.execNotify(ctx, `UPDATE deliveries SET state = 'pending', next_at = $2, updated_at = $2, lease = '',
			attempt_base = attempts, retried_at = $2
		WHERE id = $1 AND state = 'dead'`, deliveryID, nanos(now))
	if err != nil {
		return fmt.Errorf("retry delivery %s: %w", deliveryID, unavailable(err))
	}
	if n == 0 {
		return fmt.Errorf("retry delivery %s: %w", deliveryID, store.ErrNotFound)
	}
	return nil
}

// execNotify runs one statement and NOTIFY in one implicit transaction (one
// round trip) and returns the rows the statement affected.
func (s *Store) execNotify(ctx context.Context, sql string, args ...any) (int64, error) {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	b.Queue(notifySQL)
	br := s.pool.SendBatch(ctx, b)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag.RowsAffected(), err
}

// Ping makes a tiny committed write, so it fails (with store.ErrUnavailable)
// when writes would: database unreachable, shutting down, read-only, disk
// full.
func (s *Store) Ping(ctx context.Context) error {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	defer done()
	if _, err := s.pool.Exec(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'ping'`); err != nil {
		return fmt.Errorf("ping: %w", unavailable(err))
	}
	return nil
}
