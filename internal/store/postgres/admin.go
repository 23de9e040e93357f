package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

var _ store.Admin = (*Store)(nil)

// filterQuery builds a statement whose conditions depend on a filter, numbering
// its parameters as they come.
type filterQuery struct {
	sql  strings.Builder
	args []any
}

// arg adds a parameter and returns its placeholder.
func (q *filterQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// where appends " AND cond" for a non-zero value, cond holding one "?" for
// it.
func (q *filterQuery) where(cond string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case time.Time:
		if x.IsZero() {
			return
		}
		v = nanos(x)
	}
	q.sql.WriteString(" AND " + strings.Replace(cond, "?", q.arg(v), 1))
}

// limit appends ORDER BY col and, when n > 0, LIMIT n.
func (q *filterQuery) limit(col string, n int) {
	q.sql.WriteString(" ORDER BY " + col)
	if n > 0 {
		q.sql.WriteString(" LIMIT " + q.arg(n))
	}
}

// deadQuery selects from the dead deliveries (d) matching f.
func deadQuery(f store.DeadFilter, cols string) *filterQuery {
	q := &filterQuery{}
	q.sql.WriteString("SELECT " + cols + " FROM deliveries d")
	if f.Source != "" || !f.Since.IsZero() || !f.Until.IsZero() {
		q.sql.WriteString(" JOIN events e ON e.id = d.event_id")
	}
	q.sql.WriteString(" WHERE d.state = 'dead'")
	q.where("d.id > ?", f.After)
	q.where("d.destination = ?", f.Destination)
	q.where("d.event_id = ?", f.EventID)
	q.where("e.source = ?", f.Source)
	q.where("e.received_at >= ?", f.Since)
	q.where("e.received_at < ?", f.Until)
	return q
}

// eventQuery selects from the events (e) matching f.
func eventQuery(f store.EventFilter, cols string) *filterQuery {
	q := &filterQuery{}
	q.sql.WriteString("SELECT " + cols + " FROM events e WHERE true")
	q.where("e.id > ?", f.After)
	q.where("e.source = ?", f.Source)
	q.where("e.type = ?", f.Type)
	q.where("e.received_at >= ?", f.Since)
	q.where("e.received_at < ?", f.Until)
	return q
}

// RetryDead makes the dead deliveries matching f pending again, due at now,
// each with a fresh budget, and wakes the workers of every node.
func (s *Store) RetryDead(ctx context.Context, f store.DeadFilter, now time.Time) (store.Chunk, error) {
	if now.IsZero() {
		return store.Chunk{}, errors.New("retry dead deliveries: zero time")
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return store.Chunk{}, fmt.Errorf("retry dead deliveries: %w", err)
	}
	defer done()
	q := deadQuery(f, "d.id")
	q.limit("d.id", f.Limit)
	sel := q.sql.String()
	t := q.arg(nanos(now))
	// The state is checked again by the UPDATE: a concurrent call that
	// retried a row first has made it pending (and maybe leased) since.
	sql := `WITH sel AS (` + sel + `)
		UPDATE deliveries d SET state = 'pending', next_at = ` + t + `, updated_at = ` + t + `, lease = '',
			attempt_base = d.attempts, retried_at = ` + t + `
		FROM sel WHERE d.id = sel.id AND d.state = 'dead'
		RETURNING d.id`
	var c store.Chunk
	err = s.notifying(ctx, sql, q.args, func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			c.N++
			c.Last = max(c.Last, id)
		}
		return rows.Err()
	})
	if err != nil {
		return store.Chunk{}, fmt.Errorf("retry dead deliveries: %w", unavailable(err))
	}
	return c, nil
}

// notifying runs one query and NOTIFY in one implicit transaction (one
// round trip), handing the query's rows to f.
func (s *Store) notifying(ctx context.Context, sql string, args []any, f func(pgx.Rows) error) error {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	b.Queue(notifySQL)
	br := s.pool.SendBatch(ctx, b)
	rows, err := br.Query()
	if err == nil {
		err = f(rows)
		rows.Close()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// CountDead counts the dead deliveries matching f.
func (s *Store) CountDead(ctx context.Context, f store.DeadFilter) (int, error) {
	n, err := s.count(ctx, deadQuery(f, "count(*)"))
	if err != nil {
		return 0, fmt.Errorf("count dead deliveries: %w", err)
	}
	return n, nil
}

// CountEvents counts the events matching f.
func (s *Store) CountEvents(ctx context.Context, f store.EventFilter) (int, error) {
	n, err := s.count(ctx, eventQuery(f, "count(*)"))
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

func (s *Store) count(ctx context.Context, q *filterQuery) (int, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	var n int
	if err := s.pool.QueryRow(ctx, q.sql.String(), q.args...).Scan(&n); err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// Discard gives up a dead or pending delivery.
func (s *Store) Discard(ctx context.Context, deliveryID string, now time.Time) error {
	if now.IsZero() {
		return errors.New("discard: zero time")
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return fmt.Errorf("discard delivery %s: %w", deliveryID, err)
	}
	defer done()
	tag, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = 'discarded', lease = '', updated_at = $2
		WHERE id = $1 AND state IN ('pending', 'dead')`, deliveryID, nanos(now))
	if err != nil {
		return fmt.Errorf("discard delivery %s: %w", deliveryID, unavailable(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("discard delivery %s: %w", deliveryID, store.ErrNotFound)
	}
	return nil
}

// Replay creates new pending deliveries of an existing event, and wakes the
// workers of every node.
func (s *Store) Replay(ctx context.Context, eventID string, destinations []string, now time.Time) ([]event.Delivery, error) {
	if err := store.CheckReplay(destinations, now); err != nil {
		return nil, fmt.Errorf("replay event %s: %w", eventID, err)
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("replay event %s: %w", eventID, err)
	}
	defer done()
	var ds []event.Delivery
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var found bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)`, eventID).Scan(&found); err != nil {
			return unavailable(err)
		}
		if !found {
			return store.ErrNotFound
		}
		var err error
		ds, err = replay(ctx, tx, []string{eventID}, destinations, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replay event %s: %w", eventID, err)
	}
	return ds, nil
}

// ReplayMatching replays the events matching f, and wakes the workers of
// every node.
func (s *Store) ReplayMatching(ctx context.Context, f store.EventFilter, destinations []string, now time.Time) (store.Chunk, error) {
	if err := store.CheckReplay(destinations, now); err != nil {
		return store.Chunk{}, fmt.Errorf("replay events: %w", err)
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return store.Chunk{}, fmt.Errorf("replay events: %w", err)
	}
	defer done()
	q := eventQuery(f, "e.id")
	q.limit("e.id", f.Limit)
	var c store.Chunk
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q.sql.String(), q.args...)
		if err != nil {
			return unavailable(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return unavailable(err)
		}
		ds, err := replay(ctx, tx, ids, destinations, now)
		if err != nil {
			return err
		}
		c = store.Chunk{N: len(ids), Deliveries: len(ds)}
		if len(ids) > 0 {
			c.Last = ids[len(ids)-1]
		}
		return nil
	})
	if err != nil {
		return store.Chunk{}, fmt.Errorf("replay events: %w", err)
	}
	return c, nil
}

// replay inserts, in tx, one new delivery per event of eventIDs and
// destination; with no destinations, per destination the event has
// deliveries to. It sends NOTIFY, delivered when tx commits.
func replay(ctx context.Context, tx pgx.Tx, eventIDs, destinations []string, now time.Time) ([]event.Delivery, error) {
	if len(eventIDs) == 0 {
		return nil, nil
	}
	type pair struct{ event, dest string }
	var pairs []pair
	if len(destinations) > 0 {
		for _, id := range eventIDs {
			for _, d := range destinations {
				pairs = append(pairs, pair{id, text(d)})
			}
		}
	} else {
		rows, err := tx.Query(ctx, `SELECT DISTINCT event_id, destination FROM deliveries
			WHERE event_id = ANY($1) ORDER BY event_id, destination`, eventIDs)
		if err != nil {
			return nil, unavailable(err)
		}
		pairs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (pair, error) {
			var p pair
			err := row.Scan(&p.event, &p.dest)
			return p, err
		})
		if err != nil {
			return nil, unavailable(err)
		}
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	ids, evs, dests := make([]string, len(pairs)), make([]string, len(pairs)), make([]string, len(pairs))
	order := make(map[string]int, len(pairs))
	for i, p := range pairs {
		ids[i], evs[i], dests[i] = event.NewID(), p.event, p.dest
		order[ids[i]] = i
	}
	// A new delivery takes what the route gave the event's latest delivery
	// to the same destination (ordering key, body, headers), so a replay
	// sends what was sent.
	rows, err := tx.Query(ctx, `INSERT INTO deliveries (id, event_id, destination, state, attempts, next_at,
			created_at, updated_at, last_error, lease, attempt_base, retried_at, ordering_key, headers, body)
		SELECT d.id, d.event_id, d.destination, 'pending', 0, $4, $4, $4, '', '', 0, 0,
			coalesce(p.ordering_key, ''), coalesce(p.headers, ''), p.body
		FROM unnest($1::text[], $2::text[], $3::text[]) AS d (id, event_id, destination)
		LEFT JOIN LATERAL (
			SELECT o.ordering_key, o.headers, o.body FROM deliveries o
			WHERE o.event_id = d.event_id AND o.destination = d.destination
			ORDER BY o.id DESC LIMIT 1
		) p ON true
		RETURNING `+deliveryCols, ids, evs, dests, nanos(now))
	if err != nil {
		return nil, unavailable(err)
	}
	made, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (event.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, unavailable(err)
	}
	ds := make([]event.Delivery, len(pairs))
	for _, d := range made {
		ds[order[d.ID]] = d
	}
	if _, err := tx.Exec(ctx, notifySQL); err != nil {
		return nil, unavailable(err)
	}
	return ds, nil
}

// attemptRecords are the columns of what attempts sent and got back, as
// arrays for insertAttemptsSQL.
type attemptRecords struct {
	methods, urls, reqHeaders, respHeaders []string
	buf                                    bytes.Buffer
}

func newAttemptRecords(n int) *attemptRecords {
	return &attemptRecords{
		methods: make([]string, n), urls: make([]string, n),
		reqHeaders: make([]string, n), respHeaders: make([]string, n),
	}
}

func (r *attemptRecords) set(i int, a *event.Attempt) error {
	r.methods[i], r.urls[i] = text(a.Request.Method), text(a.Request.URL)
	var err error
	if r.reqHeaders[i], err = storedHeader(&r.buf, a.Request.Header); err != nil {
		return fmt.Errorf("encode request headers: %w", err)
	}
	if r.respHeaders[i], err = storedHeader(&r.buf, a.ResponseHeader); err != nil {
		return fmt.Errorf("encode response headers: %w", err)
	}
	return nil
}

func (r *attemptRecords) args() []any {
	return []any{r.methods, r.urls, r.reqHeaders, r.respHeaders}
}

// storedHeader is h as stored: a JSON object, or "" for no headers.
func storedHeader(buf *bytes.Buffer, h http.Header) (string, error) {
	if len(h) == 0 {
		return "", nil
	}
	return headerJSON(buf, h)
}

// attemptRecord scans one attempt's record columns, NULL when the attempt
// is missing (Attempts' outer join).
type attemptRecord struct {
	method, url, reqHeaders, respHeaders *string
}

func (r *attemptRecord) dest() []any {
	return []any{&r.method, &r.url, &r.reqHeaders, &r.respHeaders}
}

func (r *attemptRecord) fill(a *event.Attempt) error {
	if r.method == nil {
		return nil
	}
	a.Request.Method, a.Request.URL = *r.method, *r.url
	var err error
	if a.Request.Header, err = parseHeader(*r.reqHeaders); err != nil {
		return fmt.Errorf("attempt %d request headers: %w", a.N, err)
	}
	if a.ResponseHeader, err = parseHeader(*r.respHeaders); err != nil {
		return fmt.Errorf("attempt %d response headers: %w", a.N, err)
	}
	return nil
}

func parseHeader(s string) (http.Header, error) {
	if s == "" {
		return nil, nil
	}
	var h http.Header
	err := json.Unmarshal([]byte(s), &h)
	return h, err
}
