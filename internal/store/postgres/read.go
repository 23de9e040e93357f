package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// defaultLimit is the size of a listing when the caller gives none.
const defaultLimit = 100

// readErr maps "no rows" to store.ErrNotFound and classifies the rest.
func readErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return unavailable(err)
}

// Event returns one event with its body and headers.
func (s *Store) Event(ctx context.Context, id string) (*event.Event, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("get event %s: %w", id, err)
	}
	defer done()
	if ev, ok := s.events.take(id); ok {
		return ev, nil
	}
	ev, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventCols+` FROM events WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("get event %s: %w", id, readErr(err))
	}
	return ev, nil
}

// Delivery returns one delivery.
func (s *Store) Delivery(ctx context.Context, id string) (event.Delivery, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return event.Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	defer done()
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, id))
	if err != nil {
		return event.Delivery{}, fmt.Errorf("get delivery %s: %w", id, readErr(err))
	}
	return d, nil
}

// Deliveries lists deliveries matching f, newest first.
func (s *Store) Deliveries(ctx context.Context, f store.DeliveryFilter) ([]event.Delivery, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer done()
	var sql strings.Builder
	sql.WriteString(`SELECT ` + deliveryCols + ` FROM deliveries`)
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, cond+` = $`+strconv.Itoa(len(args)))
	}
	if f.EventID != "" {
		add(`event_id`, f.EventID)
	}
	if f.Destination != "" {
		add(`destination`, f.Destination)
	}
	if f.State != "" {
		add(`state`, string(f.State))
	}
	if len(conds) > 0 {
		sql.WriteString(` WHERE ` + strings.Join(conds, ` AND `))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	args = append(args, limit)
	sql.WriteString(` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args)))

	rows, err := s.pool.Query(ctx, sql.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", unavailable(err))
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (event.Delivery, error) {
		return scanDelivery(row)
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", unavailable(err))
	}
	return ds, nil
}

// Attempts lists a delivery's attempts in order. It returns
// store.ErrNotFound if there is no such delivery.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]event.Attempt, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("list attempts of delivery %s: %w", deliveryID, err)
	}
	defer done()
	// The delivery row comes first, so that "no attempts" and "no such
	// delivery" are told apart in one query.
	rows, err := s.pool.Query(ctx, `SELECT a.delivery_id, a.n, a.id, a.started_at, a.duration, a.status,
			a.error, a.outcome, a.response, a.request_method, a.request_url, a.request_headers, a.response_headers
		FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id
		WHERE d.id = $1 ORDER BY a.n`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("list attempts of delivery %s: %w", deliveryID, unavailable(err))
	}
	found := false
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*event.Attempt, error) {
		found = true
		var (
			did, id, errText, outcome *string
			n, status                 *int32
			started, dur              *int64
			resp                      []byte
			rec                       attemptRecord
		)
		if err := row.Scan(append([]any{&did, &n, &id, &started, &dur, &status, &errText, &outcome, &resp}, rec.dest()...)...); err != nil {
			return nil, err
		}
		if did == nil {
			return nil, nil // the delivery, without attempts
		}
		a := &event.Attempt{
			DeliveryID: *did, N: int(*n), ID: *id,
			StartedAt: fromNanos(*started), Duration: time.Duration(*dur),
			Status: int(*status), Error: *errText, Outcome: event.State(*outcome), Response: resp,
		}
		return a, rec.fill(a)
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts of delivery %s: %w", deliveryID, unavailable(err))
	}
	if !found {
		return nil, fmt.Errorf("list attempts of delivery %s: %w", deliveryID, store.ErrNotFound)
	}
	var out []event.Attempt
	for _, a := range as {
		if a != nil {
			out = append(out, *a)
		}
	}
	return out, nil
}

// Rejections lists the newest refused requests, newest first.
func (s *Store) Rejections(ctx context.Context, limit int) ([]event.Rejection, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	defer done()
	if limit <= 0 {
		limit = defaultLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, source, received_at, status, reason, remote_addr
		FROM rejections ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", unavailable(err))
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (event.Rejection, error) {
		var r event.Rejection
		var at int64
		err := row.Scan(&r.ID, &r.Source, &at, &r.Status, &r.Reason, &r.RemoteAddr)
		r.ReceivedAt = fromNanos(at)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", unavailable(err))
	}
	return rs, nil
}
