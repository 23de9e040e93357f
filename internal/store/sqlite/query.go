package sqlite

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

var _ store.Query = (*Store)(nil)

// schemaQuery adds the indexes the read side and retention need; see the
// file.
//
//go:embed schema_query.sql
var schemaQuery string

// listingQuery selects the events matching q, newest first, one page. The
// conditions each have an index (see schema_query.sql): the id cursor, source
// or type; a state other than succeeded drives the scan from deliveries_open.
// The body filter is checked only on the rows the others let through, and
// the scan stops at the page's end.
func listingQuery(q store.EventQuery) *filterQuery {
	f := &filterQuery{}
	f.sql.WriteString(`SELECT e.id, e.source, e.type, e.delivery_id, e.method, e.received_at, length(e.body)
		FROM events e WHERE 1`)
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
		// Naming the partial index's condition lets SQLite use it.
		cond := "e.id IN (SELECT DISTINCT d.event_id FROM deliveries d WHERE d.state = ? AND d.state <> 'succeeded'"
		if q.Before != "" {
			cond += " AND d.event_id < " + f.arg(q.Before)
		}
		if stateOnly(q) {
			// The page is the first events of the index range: read no
			// more of it.
			cond += " ORDER BY d.event_id DESC LIMIT " + f.arg(int64(q.PageSize()))
		}
		f.where(cond+")", string(q.State))
	}
	if q.Text != "" {
		// Both blobs: instr compares bytes, not characters.
		f.where("instr(e.body, ?) > 0", []byte(q.Text))
	}
	f.limit("e.id DESC", q.PageSize())
	return f
}

// Events lists the events matching q, newest first, with their deliveries
// counted by state (one more query for the whole page).
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.EventSummary, error) {
	if err := q.Check(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	list := listingQuery(q)
	var out []store.EventSummary
	err := s.read(ctx, func(c *readConn) error {
		out = out[:0]
		st, err := c.stmt(list.sql.String())
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := list.bind(st); err != nil {
			return err
		}
		for st.Step() {
			out = append(out, store.EventSummary{
				ID:         st.ColumnText(0),
				Source:     st.ColumnText(1),
				Type:       st.ColumnText(2),
				DeliveryID: st.ColumnText(3),
				Method:     st.ColumnText(4),
				ReceivedAt: fromNanos(st.ColumnInt64(5)),
				Size:       st.ColumnInt(6),
			})
		}
		if err := st.Err(); err != nil {
			return err
		}
		return countDeliveries(c, out)
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// countDeliveries fills the Deliveries of every event in page, in one
// query: the ids go in as one JSON array, so the statement stays the same
// (and prepared) whatever the page's size.
func countDeliveries(c *readConn, page []store.EventSummary) error {
	if len(page) == 0 {
		return nil
	}
	ids := make([]string, len(page))
	at := make(map[string]int, len(page))
	for i, e := range page {
		ids[i], at[e.ID] = e.ID, i
	}
	arr, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	st, err := c.stmt(`SELECT event_id, state, count(*) FROM deliveries
		WHERE event_id IN (SELECT value FROM json_each(?1)) GROUP BY event_id, state`)
	if err != nil {
		return err
	}
	defer st.Reset()
	if err := st.BindRawText(1, arr); err != nil {
		return err
	}
	for st.Step() {
		e := &page[at[st.ColumnText(0)]]
		if e.Deliveries == nil {
			e.Deliveries = map[event.State]int{}
		}
		e.Deliveries[state(st.ColumnRawText(1))] = st.ColumnInt(2)
	}
	return st.Err()
}

// sourceStatsSQL sums up every source in one statement. The sources are
// found by skipping through the (source, id) indexes, one probe per source;
// the counts since ?1 read the (received_at, source) indexes from ?1 on
// (named: without statistics, SQLite would rather read a whole (source, id)
// index, to group without sorting).
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
		SELECT source FROM es WHERE source IS NOT NULL
		UNION
		SELECT source FROM rs WHERE source IS NOT NULL),
	ec(source, n) AS MATERIALIZED (
		SELECT source, count(*) FROM events INDEXED BY events_received WHERE received_at >= ?1 GROUP BY source),
	rc(source, n) AS MATERIALIZED (
		SELECT source, count(*) FROM rejections INDEXED BY rejections_received WHERE received_at >= ?1 GROUP BY source)
SELECT s.source, coalesce(ec.n, 0),
	coalesce((SELECT e.received_at FROM events e WHERE e.source = s.source ORDER BY e.id DESC LIMIT 1), 0),
	coalesce(rc.n, 0), r.id, r.received_at, r.status, r.reason, r.remote_addr
FROM srcs s
LEFT JOIN ec ON ec.source = s.source
LEFT JOIN rc ON rc.source = s.source
LEFT JOIN rejections r ON r.id = (SELECT x.id FROM rejections x WHERE x.source = s.source ORDER BY x.id DESC LIMIT 1)
ORDER BY s.source`

// SourceStats sums up every source that has events or rejections, counting
// those received at or after since; by source name.
func (s *Store) SourceStats(ctx context.Context, since time.Time) ([]store.SourceStats, error) {
	var out []store.SourceStats
	err := s.read(ctx, func(c *readConn) error {
		out = out[:0]
		st, err := c.stmt(sourceStatsSQL)
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := st.BindInt64(1, nanos(since)); err != nil {
			return err
		}
		for st.Step() {
			ss := store.SourceStats{
				Source:      st.ColumnText(0),
				Events:      st.ColumnInt(1),
				LastEventAt: fromNanos(st.ColumnInt64(2)),
				Rejections:  st.ColumnInt(3),
			}
			if st.ColumnType(4) != sqlite3.NULL {
				ss.LastRejection = &event.Rejection{
					ID:         st.ColumnText(4),
					Source:     ss.Source,
					ReceivedAt: fromNanos(st.ColumnInt64(5)),
					Status:     st.ColumnInt(6),
					Reason:     st.ColumnText(7),
					RemoteAddr: st.ColumnText(8),
				}
			}
			out = append(out, ss)
		}
		return st.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	return out, nil
}

// destinationStatsSQL sums up every destination in one statement: the
// destinations by skipping through deliveries_destination (which holds all
// but succeeded deliveries) and those in destination_success, the counts as
// ranges of deliveries_destination, the last success from
// destination_success, and what is due at ?1 from each destination's range
// of deliveries_due (pending with next_at <= ?1: a lease that has expired is
// due again, as Lease would take it). The redundant state <> 'succeeded' lets SQLite see that the
// partial index applies.
const destinationStatsSQL = `WITH RECURSIVE
	ds(destination) AS (
		SELECT (SELECT min(destination) FROM deliveries WHERE state <> 'succeeded')
		UNION ALL
		SELECT (SELECT min(destination) FROM deliveries WHERE state <> 'succeeded' AND destination > ds.destination)
		FROM ds WHERE ds.destination IS NOT NULL),
	names(destination) AS (
		SELECT destination FROM ds WHERE destination IS NOT NULL
		UNION SELECT destination FROM destination_success)
SELECT n.destination,
	(SELECT count(*) FROM deliveries d
		WHERE d.destination = n.destination AND d.state = 'pending' AND d.state <> 'succeeded'),
	(SELECT count(*) FROM deliveries d
		WHERE d.destination = n.destination AND d.state = 'pending' AND d.next_at <= ?1),
	coalesce((SELECT min(d.next_at) FROM deliveries d
		WHERE d.destination = n.destination AND d.state = 'pending' AND d.next_at <= ?1), 0),
	(SELECT count(*) FROM deliveries d
		WHERE d.destination = n.destination AND d.state = 'dead' AND d.state <> 'succeeded'),
	coalesce((SELECT s.at FROM destination_success s WHERE s.destination = n.destination), 0)
FROM names n
ORDER BY n.destination`

// DestinationStats sums up every destination that has deliveries, as of
// now; by destination name.
func (s *Store) DestinationStats(ctx context.Context, now time.Time) ([]store.DestinationStats, error) {
	var out []store.DestinationStats
	err := s.read(ctx, func(c *readConn) error {
		out = out[:0]
		st, err := c.stmt(destinationStatsSQL)
		if err != nil {
			return err
		}
		defer st.Reset()
		if err := st.BindInt64(1, nanos(now)); err != nil {
			return err
		}
		for st.Step() {
			out = append(out, store.DestinationStats{
				Destination:   st.ColumnText(0),
				Pending:       st.ColumnInt(1),
				Due:           st.ColumnInt(2),
				OldestDue:     fromNanos(st.ColumnInt64(3)),
				Dead:          st.ColumnInt(4),
				LastSuccessAt: fromNanos(st.ColumnInt64(5)),
			})
		}
		return st.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("destination stats: %w", err)
	}
	return out, nil
}

// stateOnly reports whether q filters by nothing but a state (and the
// cursor), so that the events of its page are the first ids of that state.
func stateOnly(q store.EventQuery) bool {
	return q.Source == "" && q.Type == "" && q.Since.IsZero() && q.Until.IsZero() && q.Text == ""
}
