package sqlite

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// dueWhere picks, in deliveries d, what Lease may take at ?1: pending
// deliveries that are due and, if they have an ordering key, first in line:
// no older delivery (by created_at, then id) to the same destination with
// the same key is pending, leased or not. One probe of deliveries_ordering
// each.
const dueWhere = `d.state = 'pending' AND d.next_at <= ?1 AND (d.ordering_key = '' OR NOT EXISTS (
		SELECT 1 FROM deliveries o
		WHERE o.destination = d.destination AND o.ordering_key = d.ordering_key
			AND o.ordering_key <> '' AND o.state = 'pending'
			AND (o.created_at, o.id) < (d.created_at, d.id)))`

// writeStmts are the writer's prepared statements, made once per connection.
//
// The statements that write a row and its indexes say OR FAIL. With the
// default (ABORT), SQLite runs each such statement inside a statement
// journal, copying every page it touches so that it can undo the statement
// alone if a constraint fails halfway; in the end-to-end benchmark that
// copying was about a tenth of the writer's time, mostly in Complete. Each of
// these statements writes one row at a time, and SQLite checks a row's
// constraints before writing any of its b-trees, so a failure leaves nothing
// of the row behind, and the writer then rolls back the transaction (or the
// request's savepoint) anyway. Inserts into deliveries and attempts still
// get the journal: SQLite undoes a broken foreign key statement by statement.
// (Deferring foreign keys to COMMIT would avoid that, but the pragma that
// does it per transaction expires every prepared statement.)
type writeStmts struct {
	begin, commit, rollback *sqlite3.Stmt
	// One savepoint name serves every request: they never nest.
	savepoint, rollbackTo, release *sqlite3.Stmt

	insertEvent, findDuplicate, insertDelivery            *sqlite3.Stmt
	insertDedupKey, setDedupMark                          *sqlite3.Stmt
	noteSuccess                                           *sqlite3.Stmt
	insertRejection                                       *sqlite3.Stmt
	selectDue, selectDueTo, pendingDestinations, leaseOne *sqlite3.Stmt
	completeDelivery, insertAttempt                       *sqlite3.Stmt
	completeMiss                                          *sqlite3.Stmt
	releaseLease, retry, ping                             *sqlite3.Stmt
}

func (ws *writeStmts) list() []struct {
	st  **sqlite3.Stmt
	sql string
} {
	return []struct {
		st  **sqlite3.Stmt
		sql string
	}{
		{&ws.begin, `BEGIN IMMEDIATE`},
		{&ws.commit, `COMMIT`},
		{&ws.rollback, `ROLLBACK`},
		{&ws.savepoint, `SAVEPOINT request`},
		{&ws.rollbackTo, `ROLLBACK TO request`},
		{&ws.release, `RELEASE request`},

		// Dedup goes through the dedup file (dedup.go): an entry counts
		// only if its event row has the same source and delivery id.
		{&ws.findDuplicate, `SELECT e.id FROM dedup.keys k JOIN events e ON e.rowid = k.event_rowid
			WHERE k.h = ?1 AND e.source = ?2 AND e.delivery_id = ?3 LIMIT 1`},
		{&ws.insertEvent, `INSERT OR FAIL INTO events (` + eventCols + `)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`},
		{&ws.insertDedupKey, `INSERT OR REPLACE INTO dedup.keys (h, event_rowid) VALUES (?1, ?2)`},
		{&ws.setDedupMark, `UPDATE dedup.mark SET rowid = ?1`},
		{&ws.insertDelivery, `INSERT OR FAIL INTO deliveries (` + deliveryCols + `)
			VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4, '', '', 0, 0, ?5, ?6, ?7)`},

		{&ws.insertRejection, `INSERT OR FAIL INTO rejections (id, source, received_at, status, reason, remote_addr)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6)`},

		// Lease selects the due rows in order, then claims each by id (the
		// writer is alone, so they are still due).
		{&ws.selectDue, `SELECT ` + deliveryCols + ` FROM deliveries d
			WHERE ` + dueWhere + ` ORDER BY next_at, id LIMIT ?2`},
		// LeaseEach: one destination's due range (deliveries_due leads with
		// the destination).
		{&ws.selectDueTo, `SELECT ` + deliveryCols + ` FROM deliveries d
			WHERE d.destination = ?3 AND ` + dueWhere + ` ORDER BY next_at, id LIMIT ?2`},
		// The destinations with pending deliveries, skipping through
		// deliveries_due one destination at a time (a probe each), for
		// LeaseEach's others: a filter over the due rows would read every
		// configured destination's backlog, in the writer.
		{&ws.pendingDestinations, pendingDestinationsSQL},
		{&ws.leaseOne, `UPDATE OR FAIL deliveries SET next_at = ?2, lease = ?3
			WHERE id = ?1 AND state = 'pending'`},

		// last_error keeps the last failure's text; a success leaves it.
		// The attempt number is checked in the WHERE clause rather than read
		// back with RETURNING, which costs a temporary table per statement;
		// completeMiss tells a lease taken over from a wrong number.
		{&ws.completeDelivery, `UPDATE OR FAIL deliveries SET state = ?3, attempts = attempts + 1,
				next_at = ?4, updated_at = ?5, lease = '',
				last_error = CASE WHEN ?3 = 'succeeded' THEN last_error ELSE ?6 END
			WHERE id = ?1 AND lease = ?2 AND lease <> '' AND attempts = ?7 - 1`},
		{&ws.completeMiss, `SELECT attempts, lease = ?2, destination FROM deliveries WHERE id = ?1`},
		{&ws.noteSuccess, `INSERT INTO destination_success (destination, at) VALUES (?1, ?2)
			ON CONFLICT (destination) DO UPDATE SET at = max(at, excluded.at)`},
		{&ws.insertAttempt, `INSERT OR FAIL INTO attempts (delivery_id, n, id, started_at, duration, status, error, outcome, response,
				request_method, request_url, request_headers, response_headers)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)`},

		{&ws.releaseLease, `UPDATE OR FAIL deliveries SET lease = '', next_at = ?3
			WHERE id = ?1 AND lease = ?2 AND lease <> ''`},
		{&ws.retry, `UPDATE OR FAIL deliveries SET state = 'pending', next_at = ?2, updated_at = ?2, lease = '',
				attempt_base = attempts, retried_at = ?2
			WHERE id = ?1 AND state = 'dead'`},
		{&ws.ping, `UPDATE meta SET value = value + 1 WHERE key = 'ping'`},
	}
}

func (ws *writeStmts) prepare(c *sqlite3.Conn) error {
	for _, s := range ws.list() {
		st, _, err := c.PrepareFlags(s.sql, sqlite3.PREPARE_PERSISTENT)
		if err != nil {
			ws.close()
			return fmt.Errorf("prepare %q: %w", s.sql, err)
		}
		*s.st = st
	}
	return nil
}

// reset resets every statement, so none is left mid-step after a failure.
func (ws *writeStmts) reset() {
	for _, s := range ws.list() {
		if *s.st != nil {
			_ = (*s.st).Reset()
		}
	}
}

func (ws *writeStmts) close() error {
	var errs []error
	for _, s := range ws.list() {
		errs = append(errs, (*s.st).Close())
		*s.st = nil
	}
	return errors.Join(errs...)
}

// ingest stores r.ev and its deliveries, or finds the event it duplicates.
func (w *writer) ingest(r *request) error {
	ev := r.ev
	var h int64
	if ev.DeliveryID != "" {
		h = dedupHash(ev.Source, ev.DeliveryID)
		if dup, err := w.duplicate(r, h); err != nil || dup {
			return err
		}
	}
	at := nanos(ev.ReceivedAt)
	b := binder{st: w.st.insertEvent}
	b.text(1, r.eventID)
	b.text(2, ev.Source)
	b.text(3, ev.DeliveryID)
	b.text(4, ev.Type)
	b.text(5, ev.Method)
	b.int64(6, at)
	b.text(7, ev.Query)
	b.rawText(8, r.headers[:r.hdrEnds[0]])
	b.blob(9, ev.Body)
	b.nullableText(10, ev.TraceParent)
	if err := b.exec(); err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	// The mark moves with every event, keyed or not, so that the next
	// open does not read back events with nothing to index.
	rowid := w.conn.LastInsertRowID()
	w.dedupMark = rowid
	if ev.DeliveryID != "" {
		b := binder{st: w.st.insertDedupKey}
		b.int64(1, h)
		b.int64(2, rowid)
		if err := b.exec(); err != nil {
			return fmt.Errorf("index delivery id: %w", err)
		}
	}
	for i, rt := range r.routes {
		b := binder{st: w.st.insertDelivery}
		b.text(1, r.ids[i])
		b.text(2, r.eventID)
		b.text(3, rt.Destination)
		b.int64(4, at)
		b.text(5, rt.OrderingKey)
		b.rawText(6, r.headers[r.hdrEnds[i]:r.hdrEnds[i+1]])
		b.nullableBlob(7, rt.Body)
		if err := b.exec(); err != nil {
			return fmt.Errorf("insert delivery to %q: %w", rt.Destination, err)
		}
	}
	r.res = store.IngestResult{EventID: r.eventID}
	return nil
}

// duplicate looks for the event r.ev duplicates (h is its dedup hash). If
// there is one, it answers r with it and reports true.
func (w *writer) duplicate(r *request, h int64) (bool, error) {
	st := w.st.findDuplicate
	defer st.Reset()
	b := binder{st: st}
	b.int64(1, h)
	b.text(2, r.ev.Source)
	b.text(3, r.ev.DeliveryID)
	if b.err != nil {
		return false, b.err
	}
	if !st.Step() {
		if err := st.Err(); err != nil {
			return false, fmt.Errorf("find duplicate: %w", err)
		}
		return false, nil
	}
	r.res = store.IngestResult{EventID: st.ColumnText(0), Duplicate: true}
	return true, nil
}

func (w *writer) reject(r *request) error {
	b := binder{st: w.st.insertRejection}
	b.text(1, r.rej.ID)
	b.text(2, r.rej.Source)
	b.int64(3, nanos(r.rej.ReceivedAt))
	b.int64(4, int64(r.rej.Status))
	b.text(5, r.rej.Reason)
	b.text(6, r.rej.RemoteAddr)
	if err := b.exec(); err != nil {
		return fmt.Errorf("insert rejection: %w", err)
	}
	return nil
}

// lease reads the due deliveries in order, then claims the same rows.
func (w *writer) lease(r *request) error {
	now, until := nanos(r.now), nanos(r.now.Add(r.leaseFor))
	expiry := fromNanos(until)
	// due keeps each delivery's due time, to put them in order at the end
	// when more than one select found some.
	var due []int64
	selects := 0
	selectInto := func(sel *sqlite3.Stmt, limit int, bind3 func(b *binder)) error {
		before := len(r.leased)
		b := binder{st: sel}
		b.int64(1, now)
		b.int64(2, int64(limit))
		if bind3 != nil {
			bind3(&b)
		}
		if b.err != nil {
			return b.err
		}
		for sel.Step() {
			d, err := scanDelivery(sel)
			if err != nil {
				_ = sel.Reset()
				return err
			}
			due = append(due, nanos(d.NextAt))
			d.NextAt, d.Lease = expiry, r.token
			r.leased = append(r.leased, d)
		}
		if err := sel.Reset(); err != nil {
			return fmt.Errorf("select due deliveries: %w", err)
		}
		if len(r.leased) > before {
			selects++
		}
		return nil
	}
	if r.caps == nil {
		if err := selectInto(w.st.selectDue, r.limit, nil); err != nil {
			return err
		}
	} else {
		for _, dest := range slices.Sorted(maps.Keys(r.caps.PerDestination)) {
			if n := r.caps.PerDestination[dest]; n > 0 {
				if err := selectInto(w.st.selectDueTo, n, func(b *binder) { b.text(3, dest) }); err != nil {
					return err
				}
			}
		}
		leasedNamed := len(r.leased)
		if r.caps.Others > 0 {
			others, err := w.otherDestinations(r.caps.PerDestination)
			if err != nil {
				return err
			}
			for _, dest := range others {
				left := r.caps.Others - (len(r.leased) - leasedNamed)
				if left <= 0 {
					break
				}
				if err := selectInto(w.st.selectDueTo, left, func(b *binder) { b.text(3, dest) }); err != nil {
					return err
				}
			}
		}
		if selects > 1 {
			sortByDue(r.leased, due)
		}
	}
	if len(r.leased) == 0 {
		return nil
	}
	// Claimed one by one through the primary key: an UPDATE over the same
	// query would walk the due range and its ordering checks again.
	for _, d := range r.leased {
		b := binder{st: w.st.leaseOne}
		b.text(1, d.ID)
		b.int64(2, until)
		b.text(3, r.token)
		if err := b.exec(); err != nil {
			return fmt.Errorf("lease delivery %s: %w", d.ID, err)
		}
		if w.conn.Changes() != 1 {
			return fmt.Errorf("lease delivery %s: selected but not claimed", d.ID)
		}
	}
	return nil
}

// pendingDestinationsSQL lists the destinations that have pending
// deliveries, in order, one probe of deliveries_due each.
const pendingDestinationsSQL = `WITH RECURSIVE ds(destination) AS (
		SELECT (SELECT min(destination) FROM deliveries WHERE state = 'pending')
		UNION ALL
		SELECT (SELECT min(destination) FROM deliveries WHERE state = 'pending' AND destination > ds.destination)
		FROM ds WHERE ds.destination IS NOT NULL)
	SELECT destination FROM ds WHERE destination IS NOT NULL`

// otherDestinations returns the destinations with pending deliveries that
// named does not name.
func (w *writer) otherDestinations(named map[string]int) ([]string, error) {
	st := w.st.pendingDestinations
	var out []string
	for st.Step() {
		d := st.ColumnText(0)
		if _, ok := named[d]; !ok {
			out = append(out, d)
		}
	}
	if err := st.Reset(); err != nil {
		return nil, fmt.Errorf("list pending destinations: %w", err)
	}
	return out, nil
}

// sortByDue puts ds in the order of their due times (then ids), due[i]
// being ds[i]'s.
func sortByDue(ds []event.Delivery, due []int64) {
	idx := make([]int, len(ds))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(due[a], due[b]), cmp.Compare(ds[a].ID, ds[b].ID))
	})
	sorted := make([]event.Delivery, len(ds))
	for i, j := range idx {
		sorted[i] = ds[j]
	}
	copy(ds, sorted)
}

// complete applies each outcome whose lease still matches.
func (w *writer) complete(r *request) error {
	for i := range r.outcomes {
		o := &r.outcomes[i]
		a := &o.Attempt
		finished := nanos(a.StartedAt.Add(a.Duration))
		next := finished
		if !o.NextAt.IsZero() {
			next = nanos(o.NextAt)
		}
		b := binder{st: w.st.completeDelivery}
		b.text(1, o.DeliveryID)
		b.text(2, o.Lease)
		b.text(3, string(o.State))
		b.int64(4, next)
		b.int64(5, finished)
		b.text(6, a.Error)
		b.int64(7, int64(a.N))
		if err := b.exec(); err != nil {
			return fmt.Errorf("update delivery %s: %w", o.DeliveryID, err)
		}
		updated, dest := w.conn.Changes() == 1, o.Destination
		if !updated || dest == "" {
			ours, n, d, err := w.completeCheck(o, updated)
			if err != nil {
				return err
			}
			if !ours {
				continue // the lease is gone: another worker owns it now
			}
			if !updated {
				return fmt.Errorf("delivery %s: attempt numbered %d, but it is attempt %d", o.DeliveryID, a.N, n+1)
			}
			dest = d
		}
		if o.State == event.Succeeded {
			w.noteSuccess(dest, finished)
		}
		n := a.N
		b = binder{st: w.st.insertAttempt}
		b.text(1, o.DeliveryID)
		b.int64(2, int64(n))
		b.text(3, r.ids[i])
		b.int64(4, nanos(a.StartedAt))
		b.int64(5, int64(a.Duration))
		b.int64(6, int64(a.Status))
		b.text(7, a.Error)
		b.text(8, string(o.State))
		b.blob(9, a.Response)
		w.bindAttemptRecord(&b, 10, a)
		if err := b.exec(); err != nil {
			return fmt.Errorf("insert attempt %d of delivery %s: %w", n, o.DeliveryID, err)
		}
	}
	return nil
}

// completeCheck reads the delivery of o after its update, which updated
// says went through or not: its attempts, whether the lease was o's (an
// update that went through clears it), and its destination. A delivery that
// is gone is not ours.
func (w *writer) completeCheck(o *store.Outcome, updated bool) (ours bool, attempts int, dest string, err error) {
	st := w.st.completeMiss
	defer st.Reset()
	b := binder{st: st}
	b.text(1, o.DeliveryID)
	b.text(2, o.Lease)
	if b.err != nil {
		return false, 0, "", b.err
	}
	if !st.Step() {
		if err := st.Err(); err != nil {
			return false, 0, "", fmt.Errorf("read delivery %s: %w", o.DeliveryID, err)
		}
		return false, 0, "", nil
	}
	ours = updated || (st.ColumnBool(1) && o.Lease != "")
	return ours, st.ColumnInt(0), st.ColumnText(2), nil
}

func (w *writer) release(r *request) error {
	now := nanos(r.now)
	for id, lease := range r.leases {
		b := binder{st: w.st.releaseLease}
		b.text(1, id)
		b.text(2, lease)
		b.int64(3, now)
		if err := b.exec(); err != nil {
			return fmt.Errorf("release delivery %s: %w", id, err)
		}
	}
	return nil
}

func (w *writer) retry(r *request) error {
	b := binder{st: w.st.retry}
	b.text(1, r.token)
	b.int64(2, nanos(r.now))
	if err := b.exec(); err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	if w.conn.Changes() == 0 {
		r.err = store.ErrNotFound // nothing written: not a failure of the batch
	}
	return nil
}
