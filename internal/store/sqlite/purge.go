package sqlite

import (
	"context"
	"fmt"

	"github.com/hookgate/hookgate/internal/store"
)

// purgeCandidates picks, oldest first from events_received, the events Purge
// may remove: received before ?1 (the later cutoff), none of their
// deliveries pending, and received before ?2 (Before) or, if one of their
// deliveries is dead, before ?3 (DeadBefore). A zero cutoff is 0, which no
// event is received before.
const purgeCandidates = `SELECT e.id, e.rowid, e.source, e.delivery_id FROM events e
	WHERE e.received_at < ?1
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending')
		AND CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'dead')
			THEN e.received_at < ?3 ELSE e.received_at < ?2 END
	ORDER BY e.received_at LIMIT ?4`

// Purge removes old events (with their deliveries and attempts) and old
// rejections as r says, at most r.BatchSize() of each. It runs in the
// writer, in a transaction of its own, so it holds ingest up only for one
// small batch.
func (s *Store) Purge(ctx context.Context, r store.Retention) (events, rejections int, err error) {
	limit := int64(r.BatchSize())
	cutoff := max(nanos(r.Before), nanos(r.DeadBefore))
	var ids []string
	err = s.alone(ctx, func(w *writer) error {
		ids, rejections = ids[:0], 0
		if cutoff > 0 {
			var err error
			if ids, err = w.purgeEvents(ids, cutoff, nanos(r.Before), nanos(r.DeadBefore), limit); err != nil {
				return err
			}
		}
		if !r.RejectionsBefore.IsZero() {
			q := &filterQuery{}
			q.sql.WriteString(`DELETE FROM rejections WHERE id IN (SELECT id FROM rejections
				WHERE received_at < ` + q.arg(nanos(r.RejectionsBefore)) + ` ORDER BY received_at LIMIT ` + q.arg(limit) + `)`)
			if err := w.exec(q); err != nil {
				return fmt.Errorf("remove rejections: %w", err)
			}
			rejections = int(w.conn.Changes())
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("purge: %w", err)
	}
	s.recent.forget(ids...)
	return len(ids), rejections, nil
}

// purgeEvents removes up to limit of the events purgeCandidates picks, their
// deliveries and attempts, and their entries in the dedup index, appending
// their ids to ids.
func (w *writer) purgeEvents(ids []string, cutoff, before, deadBefore, limit int64) ([]string, error) {
	sel, _, err := w.conn.Prepare(purgeCandidates)
	if err != nil {
		return nil, err
	}
	defer sel.Close()
	b := binder{st: sel}
	b.int64(1, cutoff)
	b.int64(2, before)
	b.int64(3, deadBefore)
	b.int64(4, limit)
	if b.err != nil {
		return nil, b.err
	}
	type key struct{ h, rowid int64 }
	var keys []key
	for sel.Step() {
		ids = append(ids, sel.ColumnText(0))
		if d := sel.ColumnText(3); d != "" {
			keys = append(keys, key{dedupHash(sel.ColumnText(2), d), sel.ColumnInt64(1)})
		}
	}
	if err := sel.Err(); err != nil {
		return nil, fmt.Errorf("pick events: %w", err)
	}
	del, _, err := w.conn.Prepare(`DELETE FROM dedup.keys WHERE h = ?1 AND event_rowid = ?2`)
	if err != nil {
		return nil, err
	}
	defer del.Close()
	for _, k := range keys {
		b := binder{st: del}
		b.int64(1, k.h)
		b.int64(2, k.rowid)
		if err := b.exec(); err != nil {
			return nil, fmt.Errorf("remove dedup entries: %w", err)
		}
	}
	// Children first: attempts reference deliveries, deliveries events.
	for _, sql := range []string{
		`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id = ?1)`,
		`DELETE FROM deliveries WHERE event_id = ?1`,
		`DELETE FROM events WHERE id = ?1`,
	} {
		if err := w.eachID(sql, ids); err != nil {
			return nil, fmt.Errorf("remove events: %w", err)
		}
	}
	return ids, nil
}

// eachID runs sql once per id, bound to ?1.
func (w *writer) eachID(sql string, ids []string) error {
	st, _, err := w.conn.Prepare(sql)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, id := range ids {
		if err := st.BindText(1, id); err != nil {
			return err
		}
		if err := st.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// alone runs f in the writer, in a transaction of its own.
func (s *Store) alone(ctx context.Context, f func(w *writer) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	r := s.getRequest(kindFunc)
	defer s.putRequest(r)
	r.fn, r.alone = f, true
	return s.write(ctx, r)
}
