package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

var _ store.Query = (*Store)(nil)

// listingQuery selects the events matching q, newest first, one page. The
// conditions each have an index (see migrations/0004_query.sql): the id
// cursor, source or type; a state other than succeeded is looked up in
// deliveries_open. The body filter is checked only on the rows the others
// let through, and the scan stops at the page's end.
func listingQuery(q store.EventQuery) *filterQuery {
	f := &filterQuery{}
	f.sql.WriteString(`SELECT e.id, e.source, e.type, e.delivery_id, e.method, e.received_at, octet_length(e.body)
		FROM events e WHERE true`)
	f.where("e.id < ?", q.Before)
	f.where("e.source = ?", q.Source)
	f.where("e.type = ?", q.Type)
	f.where("e.received_at >= ?", q.Since)
	f.where("e.received_at < ?", q.Until)
	switch q.State {
	case "":
	case event.Succeeded:
		f.where("EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = ?)", string(q.State))
	default:
		// Naming the partial index's condition lets the generic plan use it.
		cond := "e.id IN (SELECT DISTINCT d.event_id FROM deliveries d WHERE d.state = ? AND d.state <> 'succeeded'"
		if q.Before != "" {
			cond += " AND d.event_id < " + f.arg(q.Before)
		}
		if stateOnly(q) {
			// The page is the first events of the index range: read no
			// more of it.
			cond += " ORDER BY d.event_id DESC LIMIT " + f.arg(q.PageSize())
		}
		f.where(cond+")", string(q.State))
	}
	if q.Text != "" {
		f.where("position(?::bytea in e.body) > 0", []byte(q.Text))
	}
	f.sql.WriteString(" ORDER BY e.id DESC LIMIT " + f.arg(q.PageSize()))
	return f
}

// Events lists the events matching q, newest first, with their deliveries
// counted by state (one more query for the whole page).
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.EventSummary, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer done()
	list := listingQuery(q)
	rows, err := s.pool.Query(ctx, list.sql.String(), list.args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", unavailable(err))
	}
	page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.EventSummary, error) {
		var e store.EventSummary
		var at int64
		err := row.Scan(&e.ID, &e.Source, &e.Type, &e.DeliveryID, &e.Method, &at, &e.Size)
		e.ReceivedAt = fromNanos(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", unavailable(err))
	}
	if err := s.countDeliveries(ctx, page); err != nil {
		return nil, fmt.Errorf("list events: count deliveries: %w", unavailable(err))
	}
	return page, nil
}

// countDeliveries fills the Deliveries of every event in page, in one
// query.
func (s *Store) countDeliveries(ctx context.Context, page []store.EventSummary) error {
	if len(page) == 0 {
		return nil
	}
	ids := make([]string, len(page))
	at := make(map[string]int, len(page))
	for i, e := range page {
		ids[i], at[e.ID] = e.ID, i
	}
	rows, err := s.pool.Query(ctx, `SELECT event_id, state, count(*) FROM deliveries
		WHERE event_id = ANY($1) GROUP BY event_id, state`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, st string
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			return err
		}
		e := &page[at[id]]
		if e.Deliveries == nil {
			e.Deliveries = map[event.State]int{}
		}
		e.Deliveries[event.State(st)] = n
	}
	return rows.Err()
}

// sourceStatsSQL sums up every source in one statement. The sources are
// found by skipping through the (source, id) indexes, one probe per source;
// the counts since $1 read the (received_at, source) indexes from $1 on.
// events.source is in the "C" collation and rejections.source in the
// database's: names are compared in "C", and as "default" where that keeps
// rejections' indexes usable.
const sourceStatsSQL = `WITH RECURSIVE
	es(source) AS (
		SELECT (SELECT min(source) FROM events)
		UNION ALL
		SELECT (SELECT min(source) FROM events WHERE source > es.source) FROM es WHERE es.source IS NOT NULL),
	rs(source) AS (
		SELECT (SELECT min(source) FROM rejections)
		UNION ALL
		SELECT (SELECT min(source) FROM rejections WHERE source > rs.source) FROM rs WHERE rs.source IS NOT NULL),
	srcs(source) AS (
		SELECT source COLLATE "C" FROM es WHERE source IS NOT NULL
		UNION
		SELECT source COLLATE "C" FROM rs WHERE source IS NOT NULL),
	ec(source, n) AS MATERIALIZED (
		SELECT source, count(*) FROM events WHERE received_at >= $1 GROUP BY source),
	rc(source, n) AS MATERIALIZED (
		SELECT source, count(*) FROM rejections WHERE received_at >= $1 GROUP BY source)
SELECT s.source, coalesce(ec.n, 0),
	coalesce((SELECT e.received_at FROM events e WHERE e.source = s.source ORDER BY e.id DESC LIMIT 1), 0),
	coalesce(rc.n, 0), r.id, r.received_at, r.status, r.reason, r.remote_addr
FROM srcs s
LEFT JOIN ec ON ec.source = s.source
LEFT JOIN rc ON rc.source = s.source COLLATE "default"
LEFT JOIN LATERAL (
	SELECT x.id, x.received_at, x.status, x.reason, x.remote_addr FROM rejections x
	WHERE x.source = s.source COLLATE "default" ORDER BY x.id DESC LIMIT 1) r ON true
ORDER BY s.source`

// SourceStats sums up every source that has events or rejections, counting
// those received at or after since; by source name.
func (s *Store) SourceStats(ctx context.Context, since time.Time) ([]store.SourceStats, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	defer done()
	rows, err := s.pool.Query(ctx, sourceStatsSQL, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", unavailable(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.SourceStats, error) {
		var (
			ss          store.SourceStats
			last        int64
			rid, reason *string
			raddr       *string
			rat         *int64
			status      *int32
		)
		if err := row.Scan(&ss.Source, &ss.Events, &last, &ss.Rejections, &rid, &rat, &status, &reason, &raddr); err != nil {
			return ss, err
		}
		ss.LastEventAt = fromNanos(last)
		if rid != nil {
			ss.LastRejection = &event.Rejection{
				ID: *rid, Source: ss.Source, ReceivedAt: fromNanos(*rat),
				Status: int(*status), Reason: *reason, RemoteAddr: *raddr,
			}
		}
		return ss, nil
	})
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", unavailable(err))
	}
	return out, nil
}

// destinationStatsSQL sums up every destination in one statement: the
// destinations by skipping through deliveries_destination, the counts and
// the last success as ranges and probes of it, and what is due at $1 from
// the due range of deliveries_due (pending with next_at <= $1: a lease that
// has expired is due again, as Lease would take it).
const destinationStatsSQL = `WITH RECURSIVE
	ds(destination) AS (
		SELECT (SELECT min(destination) FROM deliveries)
		UNION ALL
		SELECT (SELECT min(destination) FROM deliveries WHERE destination > ds.destination)
		FROM ds WHERE ds.destination IS NOT NULL),
	due(destination, n, oldest) AS MATERIALIZED (
		SELECT destination, count(*), min(next_at) FROM deliveries
		WHERE state = 'pending' AND next_at <= $1 GROUP BY destination)
SELECT ds.destination,
	(SELECT count(*) FROM deliveries d WHERE d.destination = ds.destination AND d.state = 'pending'),
	coalesce(due.n, 0), coalesce(due.oldest, 0),
	(SELECT count(*) FROM deliveries d WHERE d.destination = ds.destination AND d.state = 'dead'),
	coalesce((SELECT max(d.updated_at) FROM deliveries d WHERE d.destination = ds.destination AND d.state = 'succeeded'), 0)
FROM ds LEFT JOIN due ON due.destination = ds.destination
WHERE ds.destination IS NOT NULL
ORDER BY ds.destination`

// DestinationStats sums up every destination that has deliveries, as of
// now; by destination name.
func (s *Store) DestinationStats(ctx context.Context, now time.Time) ([]store.DestinationStats, error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return nil, fmt.Errorf("destination stats: %w", err)
	}
	defer done()
	rows, err := s.pool.Query(ctx, destinationStatsSQL, nanos(now))
	if err != nil {
		return nil, fmt.Errorf("destination stats: %w", unavailable(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DestinationStats, error) {
		var ds store.DestinationStats
		var oldest, last int64
		err := row.Scan(&ds.Destination, &ds.Pending, &ds.Due, &oldest, &ds.Dead, &last)
		ds.OldestDue, ds.LastSuccessAt = fromNanos(oldest), fromNanos(last)
		return ds, err
	})
	if err != nil {
		return nil, fmt.Errorf("destination stats: %w", unavailable(err))
	}
	return out, nil
}

// purgeSQL removes, in one statement, up to $4 events Purge may remove, with
// their deliveries and attempts: received before $1 (the later cutoff),
// none of their deliveries pending, and received before $2 (Before) or, if
// one of their deliveries is dead, before $3 (DeadBefore). Oldest first,
// from events_received; rows another node is purging are skipped. It
// returns the ids of the events it removed and how many of the deliveries it
// removed were pending when removed: not 0 only if a Retry made a dead one
// pending after it was picked, and then the transaction is rolled back.
const purgeSQL = `WITH ev AS (
		SELECT e.id FROM events e
		WHERE e.received_at < $1
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending')
			AND CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'dead')
				THEN e.received_at < $3 ELSE e.received_at < $2 END
		ORDER BY e.received_at LIMIT $4
		FOR UPDATE SKIP LOCKED),
	da AS (DELETE FROM attempts a USING deliveries d, ev WHERE d.event_id = ev.id AND a.delivery_id = d.id),
	dd AS (DELETE FROM deliveries d USING ev WHERE d.event_id = ev.id RETURNING d.state),
	de AS (DELETE FROM events e USING ev WHERE e.id = ev.id RETURNING e.id)
SELECT (SELECT coalesce(array_agg(id), '{}') FROM de), (SELECT count(*) FROM dd WHERE state = 'pending')`

// errPurgeRace rolls back a purge that removed a delivery made pending
// after it was picked.
var errPurgeRace = errors.New("a delivery was retried while being purged; nothing removed, try again")

// Purge removes old events (with their deliveries and attempts) and old
// rejections as r says, at most r.BatchSize() of each, in one transaction.
func (s *Store) Purge(ctx context.Context, r store.Retention) (events, rejections int, err error) {
	ctx, done, err := s.call(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("purge: %w", err)
	}
	defer done()
	limit := r.BatchSize()
	cutoff := max(nanos(r.Before), nanos(r.DeadBefore))
	var ids []string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ids, rejections = nil, 0
		if cutoff > 0 {
			var pending int
			if err := tx.QueryRow(ctx, purgeSQL, cutoff, nanos(r.Before), nanos(r.DeadBefore), limit).
				Scan(&ids, &pending); err != nil {
				return fmt.Errorf("remove events: %w", unavailable(err))
			}
			if pending > 0 {
				return errPurgeRace
			}
		}
		if !r.RejectionsBefore.IsZero() {
			tag, err := tx.Exec(ctx, `DELETE FROM rejections WHERE id IN (SELECT id FROM rejections
				WHERE received_at < $1 ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
				nanos(r.RejectionsBefore), limit)
			if err != nil {
				return fmt.Errorf("remove rejections: %w", unavailable(err))
			}
			rejections = int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("purge: %w", unavailable(err))
	}
	s.events.forget(ids)
	return len(ids), rejections, nil
}

// stateOnly reports whether q filters by nothing but a state (and the
// cursor), so that the events of its page are the first ids of that state.
func stateOnly(q store.EventQuery) bool {
	return q.Source == "" && q.Type == "" && q.Since.IsZero() && q.Until.IsZero() && q.Text == ""
}
