package sqlite

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

var _ store.Admin = (*Store)(nil)

// schemaAdmin adds what dead letters by hand, replays and attempt records
// need; see the file.
//
//go:embed schema_admin.sql
var schemaAdmin string

// filterQuery builds a statement whose conditions depend on a filter, numbering
// its parameters as they come.
type filterQuery struct {
	sql  strings.Builder
	args []any // string, int64 or []byte
}

// arg adds a parameter and returns its placeholder.
func (q *filterQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "?" + strconv.Itoa(len(q.args))
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

// limit appends ORDER BY id and the limit (all when n is 0).
func (q *filterQuery) limit(col string, n int) {
	if n <= 0 {
		n = -1
	}
	q.sql.WriteString(" ORDER BY " + col + " LIMIT " + q.arg(int64(n)))
}

func (q *filterQuery) bind(st *sqlite3.Stmt) error {
	b := binder{st: st}
	for i, a := range q.args {
		switch v := a.(type) {
		case string:
			b.text(i+1, v)
		case int64:
			b.int64(i+1, v)
		case []byte:
			b.blob(i+1, v)
		}
	}
	return b.err
}

// deadQuery selects the ids of the dead deliveries matching f.
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

// eventQuery selects the events matching f.
func eventQuery(f store.EventFilter, cols string) *filterQuery {
	q := &filterQuery{}
	q.sql.WriteString("SELECT " + cols + " FROM events e WHERE 1")
	q.where("e.id > ?", f.After)
	q.where("e.source = ?", f.Source)
	q.where("e.type = ?", f.Type)
	q.where("e.received_at >= ?", f.Since)
	q.where("e.received_at < ?", f.Until)
	return q
}

// admin runs f in the writer, in a transaction of its own batch.
func (s *Store) admin(ctx context.Context, f func(w *writer) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	r := s.getRequest(kindFunc)
	defer s.putRequest(r)
	r.fn = f
	return s.write(ctx, r)
}

// RetryDead makes the dead deliveries matching f pending again, due at now,
// each with a fresh budget.
func (s *Store) RetryDead(ctx context.Context, f store.DeadFilter, now time.Time) (store.Chunk, error) {
	if now.IsZero() {
		return store.Chunk{}, errors.New("retry dead deliveries: zero time")
	}
	q := deadQuery(f, "d.id")
	q.limit("d.id", f.Limit)
	sel := q.sql.String()
	var c store.Chunk
	err := s.admin(ctx, func(w *writer) error {
		c = store.Chunk{}
		upd := &filterQuery{args: slices.Clone(q.args)}
		t := upd.arg(nanos(now))
		upd.sql.WriteString(`UPDATE deliveries SET state = 'pending', next_at = ` + t + `, updated_at = ` + t +
			`, lease = '', attempt_base = attempts, retried_at = ` + t + ` WHERE id IN (` + sel + `) RETURNING id`)
		return w.each(upd, func(st *sqlite3.Stmt) {
			c.N++
			c.Last = max(c.Last, st.ColumnText(0))
		})
	})
	if err != nil {
		return store.Chunk{}, fmt.Errorf("retry dead deliveries: %w", err)
	}
	return c, nil
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
	var n int
	err := s.read(ctx, func(c *readConn) error {
		st, err := c.stmt(q.sql.String())
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := q.bind(st); err != nil {
			return err
		}
		if !st.Step() {
			return st.Err()
		}
		n = st.ColumnInt(0)
		return nil
	})
	return n, err
}

// Discard gives up a dead or pending delivery.
func (s *Store) Discard(ctx context.Context, deliveryID string, now time.Time) error {
	if now.IsZero() {
		return errors.New("discard: zero time")
	}
	found := false
	err := s.admin(ctx, func(w *writer) error {
		q := &filterQuery{}
		q.sql.WriteString(`UPDATE deliveries SET state = 'discarded', lease = '', updated_at = ` + q.arg(nanos(now)) +
			` WHERE id = ` + q.arg(deliveryID) + ` AND state IN ('pending', 'dead')`)
		if err := w.exec(q); err != nil {
			return err
		}
		found = w.conn.Changes() > 0
		return nil
	})
	if err == nil && !found {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("discard delivery %s: %w", deliveryID, err)
	}
	return nil
}

// Replay creates new pending deliveries of an existing event.
func (s *Store) Replay(ctx context.Context, eventID string, destinations []string, now time.Time) ([]event.Delivery, error) {
	if err := store.CheckReplay(destinations, now); err != nil {
		return nil, fmt.Errorf("replay event %s: %w", eventID, err)
	}
	var ds []event.Delivery
	found := false
	err := s.admin(ctx, func(w *writer) error {
		ds, found = nil, false
		q := &filterQuery{}
		q.sql.WriteString(`SELECT id FROM events WHERE id = ` + q.arg(eventID))
		if err := w.each(q, func(*sqlite3.Stmt) { found = true }); err != nil || !found {
			return err
		}
		var err error
		ds, err = w.replay(eventID, destinations, now)
		return err
	})
	if err == nil && !found {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("replay event %s: %w", eventID, err)
	}
	return ds, nil
}

// ReplayMatching replays the events matching f.
func (s *Store) ReplayMatching(ctx context.Context, f store.EventFilter, destinations []string, now time.Time) (store.Chunk, error) {
	if err := store.CheckReplay(destinations, now); err != nil {
		return store.Chunk{}, fmt.Errorf("replay events: %w", err)
	}
	q := eventQuery(f, "e.id")
	q.limit("e.id", f.Limit)
	var c store.Chunk
	err := s.admin(ctx, func(w *writer) error {
		c = store.Chunk{}
		var ids []string
		if err := w.each(q, func(st *sqlite3.Stmt) { ids = append(ids, st.ColumnText(0)) }); err != nil {
			return err
		}
		for _, id := range ids {
			ds, err := w.replay(id, destinations, now)
			if err != nil {
				return err
			}
			c.N, c.Deliveries, c.Last = c.N+1, c.Deliveries+len(ds), id
		}
		return nil
	})
	if err != nil {
		return store.Chunk{}, fmt.Errorf("replay events: %w", err)
	}
	return c, nil
}

// replay inserts one new delivery of eventID per destination; with none,
// per destination the event has deliveries to. A new delivery takes what
// the route gave the event's latest delivery to the same destination (its
// ordering key, body and headers), so a replay sends what was sent.
func (w *writer) replay(eventID string, destinations []string, now time.Time) ([]event.Delivery, error) {
	if len(destinations) == 0 {
		q := &filterQuery{}
		q.sql.WriteString(`SELECT DISTINCT destination FROM deliveries WHERE event_id = ` + q.arg(eventID) + ` ORDER BY destination`)
		if err := w.each(q, func(st *sqlite3.Stmt) { destinations = append(destinations, st.ColumnText(0)) }); err != nil {
			return nil, err
		}
	}
	ds := make([]event.Delivery, 0, len(destinations))
	for _, dest := range destinations {
		q := &filterQuery{}
		t, ev, to := q.arg(nanos(now)), q.arg(eventID), q.arg(dest)
		q.sql.WriteString(`INSERT INTO deliveries (id, event_id, destination, state, attempts, next_at, created_at,
				updated_at, last_error, lease, attempt_base, retried_at, ordering_key, headers, body)
			SELECT ` + q.arg(event.NewID()) + `, ` + ev + `, ` + to + `, 'pending', 0, ` + t + `, ` + t + `, ` + t + `, '', '', 0, 0,
				coalesce(p.ordering_key, ''), coalesce(p.headers, ''), p.body
			FROM (SELECT 1) AS one LEFT JOIN (
				SELECT ordering_key, headers, body FROM deliveries
				WHERE event_id = ` + ev + ` AND destination = ` + to + ` ORDER BY id DESC LIMIT 1
			) AS p ON 1
			RETURNING ` + deliveryCols)
		var scanErr error
		err := w.each(q, func(st *sqlite3.Stmt) {
			d, err := scanDelivery(st)
			scanErr = cmp.Or(scanErr, err)
			ds = append(ds, d)
		})
		if err = cmp.Or(err, scanErr); err != nil {
			return nil, fmt.Errorf("insert delivery to %q: %w", dest, err)
		}
	}
	return ds, nil
}

// exec runs q on the write connection.
func (w *writer) exec(q *filterQuery) error {
	return w.each(q, nil)
}

// each runs q on the write connection, calling f on every row.
func (w *writer) each(q *filterQuery, f func(st *sqlite3.Stmt)) error {
	st, _, err := w.conn.Prepare(q.sql.String())
	if err != nil {
		return err
	}
	defer st.Close()
	if err := q.bind(st); err != nil {
		return err
	}
	for st.Step() {
		if f != nil {
			f(st)
		}
	}
	return st.Err()
}

// bindAttemptRecord binds, from parameter i on, what attempt a sent and got
// back: request method, URL and headers, response headers.
func (w *writer) bindAttemptRecord(b *binder, i int, a *event.Attempt) {
	b.text(i, a.Request.Method)
	b.text(i+1, a.Request.URL)
	b.rawText(i+2, w.headerJSON(a.Request.Header))
	b.rawText(i+3, w.headerJSON(a.ResponseHeader))
}

// headerJSON is h as stored: a JSON object, or nothing for no headers. It is
// encoded into the writer's scratch buffer, valid until the next call
// (binding copies it).
func (w *writer) headerJSON(h http.Header) []byte {
	if len(h) == 0 {
		return nil
	}
	w.scratch, w.scratchKeys = appendHeaderJSON(w.scratch[:0], w.scratchKeys[:0], h)
	return w.scratch
}

// parseHeaderJSON undoes headerJSON.
func parseHeaderJSON(raw []byte) (http.Header, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var h http.Header
	err := json.Unmarshal(raw, &h)
	return h, err
}

// scanAttemptRecord reads, from column i on, what bindAttemptRecord wrote.
func scanAttemptRecord(st *sqlite3.Stmt, i int, a *event.Attempt) error {
	a.Request.Method = st.ColumnText(i)
	a.Request.URL = st.ColumnText(i + 1)
	var err error
	if a.Request.Header, err = parseHeaderJSON(st.ColumnRawText(i + 2)); err != nil {
		return fmt.Errorf("attempt %d request headers: %w", a.N, err)
	}
	if a.ResponseHeader, err = parseHeaderJSON(st.ColumnRawText(i + 3)); err != nil {
		return fmt.Errorf("attempt %d response headers: %w", a.N, err)
	}
	return nil
}
