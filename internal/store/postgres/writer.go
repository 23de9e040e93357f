package postgres

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// kind says which write a request carries.
type kind uint8

const (
	kindIngest kind = iota + 1
	kindReject
)

// request is one Ingest or Reject call on its way to a writer and back. The
// caller fills the arguments, sends it and waits on done; the writer sets res
// and err, signals done and never touches it again. Requests are pooled.
type request struct {
	kind kind
	ctx  context.Context

	// Ingest. Text fields are already made storable (see text).
	ev         *event.Event
	eventID    string
	source     string
	deliveryID string
	headers    string
	routes     []store.Route
	rtHeaders  []string // each route's Header as stored: JSON, or ""
	ids        []string // of the deliveries, one per destination
	buf        bytes.Buffer
	// leader is the request of the same batch with the same source and
	// delivery id that goes first; this one is its duplicate.
	leader *request

	rej event.Rejection

	res  store.IngestResult
	err  error
	done chan struct{}
}

func (s *Store) getRequest(k kind) *request {
	r := s.requests.Get().(*request)
	r.kind = k
	return r
}

// putRequest clears r and pools it. Only the caller that got r's answer (or
// never sent it) may put it back.
func (s *Store) putRequest(r *request) {
	buf, ids := r.buf, r.ids[:0]
	if buf.Cap() > 64<<10 {
		buf = bytes.Buffer{} // do not keep one huge request's buffer
	}
	clear(ids[:cap(ids)])
	*r = request{buf: buf, ids: ids, done: r.done}
	s.requests.Put(r)
}

// write sends r to a writer and waits for its answer. A context that ends
// before a writer takes r makes it fail with the context's error; once
// taken, r commits and write waits for that.
func (s *Store) write(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.ctx = ctx
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-r.done
	return r.err
}

// runWriter is a writer goroutine: it takes whatever requests are pending,
// up to MaxBatch, and commits them together, until reqs is closed and
// drained.
func (s *Store) runWriter() {
	defer s.writers.Done()
	batch := make([]*request, 0, s.opts.MaxBatch)
	for r := range s.reqs {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < s.opts.MaxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch commits batch and answers every request in it.
func (s *Store) runBatch(batch []*request) {
	// Callers that gave up before their request was taken are left out.
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			r.done <- struct{}{}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	start := time.Now()
	err := s.writeOnce(live)
	if err != nil && !isUnavailable(err) && len(live) > 1 {
		// Something in the batch failed on its own: write each request
		// alone, so that only the guilty one fails.
		err = nil
		for _, r := range live {
			if werr := s.writeOnce([]*request{r}); werr != nil {
				r.err = werr
			}
		}
	}
	if err != nil {
		s.stats.failures.Add(1)
		err = unavailable(err)
		for _, r := range live {
			r.err = err
		}
	} else {
		s.stats.commits.Add(1)
		s.stats.requests.Add(uint64(len(live)))
		s.stats.lastBatch.Store(int64(len(live)))
		if s.opts.OnCommit != nil {
			s.opts.OnCommit(len(live), time.Since(start))
		}
	}
	for _, r := range live {
		if r.err != nil {
			r.res = store.IngestResult{}
			r.err = unavailable(r.err)
		}
		r.done <- struct{}{}
	}
}

func (s *Store) writeOnce(reqs []*request) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	return s.writeBatch(ctx, reqs)
}

// The statements of a write batch. Events and their deliveries go in one
// statement; the deliveries join the events actually inserted, so a
// duplicate gets none.
const (
	insertEventsSQL = `WITH ev AS (
		INSERT INTO events (` + eventCols + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
			$6::bigint[], $7::bytea[], $8::text[], $9::bytea[], $17::text[])
		ON CONFLICT (source, delivery_id) WHERE delivery_id <> '' DO NOTHING
		RETURNING id
	), dl AS (
		INSERT INTO deliveries (` + deliveryCols + `)
		SELECT d.id, d.event_id, d.destination, 'pending', 0, d.at, d.at, d.at, '', '', 0, 0,
			d.ordering_key, d.headers, d.body
		FROM unnest($10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::bytea[])
			AS d (id, event_id, destination, at, ordering_key, headers, body)
		JOIN ev ON ev.id = d.event_id
	)
	SELECT id FROM ev`
	insertRejectionsSQL = `INSERT INTO rejections (id, source, received_at, status, reason, remote_addr)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[], $5::text[], $6::text[])`
	notifySQL        = `SELECT pg_notify('` + notifyChannel + `', '')`
	findDuplicateSQL = `SELECT e.source, e.delivery_id, e.id FROM events e
		JOIN unnest($1::text[], $2::text[]) AS k (source, delivery_id)
		ON e.source = k.source AND e.delivery_id = k.delivery_id
		WHERE e.delivery_id <> ''`
)

// writeBatch writes reqs in one implicit transaction (one pipelined round
// trip) and sets each ingest request's result. It returns an error if the
// transaction did not commit; then no result is meaningful.
func (s *Store) writeBatch(ctx context.Context, reqs []*request) error {
	for _, r := range reqs {
		r.res, r.err = store.IngestResult{}, nil
	}
	ingests, rejects := splitBatch(reqs)
	b := &pgx.Batch{}
	if len(ingests) > 0 {
		b.Queue(insertEventsSQL, ingestArgs(ingests)...)
	}
	if len(rejects) > 0 {
		b.Queue(insertRejectionsSQL, rejectArgs(rejects)...)
	}
	if slices.ContainsFunc(ingests, func(r *request) bool { return len(r.routes) > 0 }) {
		b.Queue(notifySQL)
	}
	br := s.pool.SendBatch(ctx, b)
	inserted, err := readInserted(br, len(ingests) > 0)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Committed. What was not inserted duplicates an event stored before.
	var dups []*request
	for _, r := range ingests {
		if _, ok := inserted[r.eventID]; ok {
			r.res = store.IngestResult{EventID: r.eventID}
		} else {
			dups = append(dups, r)
		}
	}
	if len(dups) > 0 {
		s.findDuplicates(ctx, dups)
	}
	for _, r := range reqs {
		if r.leader != nil {
			r.res, r.err = store.IngestResult{EventID: r.leader.res.EventID, Duplicate: true}, r.leader.err
		}
	}
	return nil
}

// splitBatch sorts reqs into the ingests to insert and the rejections. An
// ingest with the same source and delivery id as an earlier one of the batch
// is left out, with its leader set. Ingests come out in (source,
// delivery_id) order, so that batches racing on the same keys lock them in
// one order.
func splitBatch(reqs []*request) (ingests, rejects []*request) {
	type key struct{ source, deliveryID string }
	var leaders map[key]*request
	for _, r := range reqs {
		r.leader = nil
		switch r.kind {
		case kindReject:
			rejects = append(rejects, r)
			continue
		case kindIngest:
		default:
			continue
		}
		if r.deliveryID != "" {
			k := key{r.source, r.deliveryID}
			if l, ok := leaders[k]; ok {
				r.leader = l
				continue
			}
			if leaders == nil {
				leaders = make(map[key]*request)
			}
			leaders[k] = r
		}
		ingests = append(ingests, r)
	}
	slices.SortStableFunc(ingests, func(a, b *request) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.deliveryID, b.deliveryID))
	})
	return ingests, rejects
}

func ingestArgs(rs []*request) []any {
	n, nd := len(rs), 0
	for _, r := range rs {
		nd += len(r.routes)
	}
	var (
		ids, sources, dids, types, methods, headers = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		at                                          = make([]int64, n)
		queries, bodies                             = make([][]byte, n), make([][]byte, n)
		traces                                      = make([]*string, n) // nil: NULL, not traced
		dIDs, dEvents, dDests                       = make([]string, 0, nd), make([]string, 0, nd), make([]string, 0, nd)
		dAt                                         = make([]int64, 0, nd)
		dKeys, dHeaders                             = make([]string, 0, nd), make([]string, 0, nd)
		dBodies                                     = make([][]byte, 0, nd) // nil: NULL, the event's body
	)
	for i, r := range rs {
		ev := r.ev
		ids[i], sources[i], dids[i] = r.eventID, r.source, r.deliveryID
		types[i], methods[i], headers[i] = text(ev.Type), text(ev.Method), r.headers
		at[i] = nanos(ev.ReceivedAt)
		queries[i], bodies[i] = []byte(ev.Query), nonNil(ev.Body)
		if ev.TraceParent != "" {
			traces[i] = &ev.TraceParent
		}
		for j, rt := range r.routes {
			dIDs = append(dIDs, r.ids[j])
			dEvents = append(dEvents, r.eventID)
			dDests = append(dDests, text(rt.Destination))
			dAt = append(dAt, at[i])
			dKeys = append(dKeys, rt.OrderingKey)
			dHeaders = append(dHeaders, r.rtHeaders[j])
			dBodies = append(dBodies, rt.Body)
		}
	}
	return []any{ids, sources, dids, types, methods, at, queries, headers, bodies, dIDs, dEvents, dDests, dAt,
		dKeys, dHeaders, dBodies, traces}
}

func rejectArgs(rs []*request) []any {
	n := len(rs)
	ids, sources, reasons, addrs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at, status := make([]int64, n), make([]int32, n)
	for i, r := range rs {
		j := r.rej
		ids[i], sources[i], reasons[i], addrs[i] = j.ID, text(j.Source), text(j.Reason), text(j.RemoteAddr)
		at[i], status[i] = nanos(j.ReceivedAt), int32(j.Status)
	}
	return []any{ids, sources, at, status, reasons, addrs}
}

// readInserted reads the ids of the events inserted, if the batch has an
// ingest statement (it comes first).
func readInserted(br pgx.BatchResults, hasIngests bool) (map[string]struct{}, error) {
	if !hasIngests {
		return nil, nil
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	inserted := make(map[string]struct{})
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		inserted[id] = struct{}{}
	}
	return inserted, rows.Err()
}

// findDuplicates answers each of dups, committed as duplicates, with the id
// of the event stored first. It runs after the commit, which made those
// events visible. A failure here fails only these requests.
func (s *Store) findDuplicates(ctx context.Context, dups []*request) {
	sources, dids := make([]string, len(dups)), make([]string, len(dups))
	for i, r := range dups {
		sources[i], dids[i] = r.source, r.deliveryID
	}
	rows, err := s.pool.Query(ctx, findDuplicateSQL, sources, dids)
	found := map[[2]string]string{}
	if err == nil {
		for rows.Next() {
			var src, did, id string
			if err = rows.Scan(&src, &did, &id); err != nil {
				break
			}
			found[[2]string{src, did}] = id
		}
		rows.Close()
		err = cmp.Or(err, rows.Err())
	}
	for _, r := range dups {
		id, ok := found[[2]string{r.source, r.deliveryID}]
		switch {
		case err != nil:
			r.err = fmt.Errorf("find the event duplicated: %w", err)
		case !ok || r.deliveryID == "":
			r.err = errors.New("insert event: skipped, but no duplicate found")
		default:
			r.res = store.IngestResult{EventID: id, Duplicate: true}
		}
	}
}
