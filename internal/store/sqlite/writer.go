package sqlite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// kind says which write a request carries.
type kind uint8

const (
	kindIngest kind = iota + 1
	kindReject
	kindLease
	kindComplete
	kindRelease
	kindRetry
	kindPing
	// kindFunc runs fn: the by-hand operations of admin.go, rare enough
	// to prepare their statements each time.
	kindFunc
)

// request is one write call on its way to the writer and back. The caller
// fills the arguments, sends it and waits on done; the writer sets the
// results and err, then signals done and never touches it again. Requests are
// pooled, so the caller copies results out before putting it back.
type request struct {
	kind kind
	ctx  context.Context

	// Arguments. ids are made by the caller (ids are random, and the writer's
	// time is the scarce one): the event's deliveries, or Complete's attempts.
	ev       *event.Event
	eventID  string
	headers  []byte   // ev.Header as JSON, then each route's Header
	keys     []string // scratch for headers
	routes   []store.Route
	hdrEnds  []int // where each JSON ends in headers: ev.Header's, then each route's
	ids      []string
	rej      event.Rejection
	now      time.Time
	limit    int
	caps     *store.LeaseLimits // LeaseEach's; nil for Lease
	leaseFor time.Duration
	token    string // Lease's token; Retry's delivery id
	outcomes []store.Outcome
	leases   map[string]string
	// fn is kindFunc's work. It may run twice (see commit), so it must set
	// its results afresh each time.
	fn func(w *writer) error
	// alone runs the request in a transaction of its own, not batched with
	// others: a purge, whose work would otherwise hold up the commit of
	// the ingests batched with it, and be run twice if one of them failed.
	alone bool

	// Results.
	res    store.IngestResult
	leased []event.Delivery
	err    error
	done   chan struct{}
}

// getRequest takes a request from the pool.
func (s *Store) getRequest(k kind) *request {
	r := s.requests.Get().(*request)
	r.kind = k
	return r
}

// putRequest clears r's references and pools it. Only the caller that got
// r's answer (or never sent it) may put it back.
func (s *Store) putRequest(r *request) {
	headers, keys, ids, ends := r.headers[:0], r.keys[:0], r.ids[:0], r.hdrEnds[:0]
	if cap(headers) > 64<<10 {
		headers = nil // do not keep one huge request's buffer
	}
	clear(keys[:cap(keys)])
	clear(ids[:cap(ids)])
	*r = request{headers: headers, keys: keys, ids: ids, hdrEnds: ends, done: r.done}
	s.requests.Put(r)
}

// write sends r to the writer and waits for its answer. A context that ends
// before the writer takes r makes it fail with the context's error; once
// taken, r commits and write waits for that, so an error means r was not
// committed (but see the package doc on failed fsyncs).
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

// writer owns the write connection. Only its goroutine (run) uses conn.
type writer struct {
	uri      string
	opts     Options
	stats    *counters
	conn     *sqlite3.Conn // nil after a failure; reopened by the next batch
	st       writeStmts
	maxBatch int

	walPages    int // the WAL's size after the last commit
	kickedAt    int // walPages when the checkpointer was last woken
	dedupWAL    int // the dedup file's WAL size after the last commit
	dedupKicked int // dedupWAL when the checkpointer was last woken for it
	checkpoints *checkpointer
	// dedupMark is the rowid of the last event the running transaction
	// indexed in the dedup file, 0 if none: written to the file's mark just
	// before the commit.
	dedupMark int64
	// successes holds, per destination, the newest success the running
	// transaction recorded: written to destination_success just before the
	// commit, one row per destination rather than one per delivery.
	successes map[string]int64
	// scratch and scratchKeys are reused to encode values before binding.
	scratch     []byte
	scratchKeys []string
}

// noteSuccess records a success at (unix nanoseconds) for dest.
func (w *writer) noteSuccess(dest string, at int64) {
	if prev, ok := w.successes[dest]; !ok || at > prev {
		w.successes[dest] = at
	}
}

// flushSuccesses writes the transaction's successes to destination_success.
func (w *writer) flushSuccesses() error {
	for dest, at := range w.successes {
		b := binder{st: w.st.noteSuccess}
		b.text(1, dest)
		b.int64(2, at)
		if err := b.exec(); err != nil {
			return fmt.Errorf("note last success of %q: %w", dest, err)
		}
	}
	return nil
}

// openWriter opens the write connection, sets it up for WAL and durability,
// and migrates the schema.
func openWriter(ctx context.Context, uri string, opts Options, stats *counters) (*writer, error) {
	w := &writer{uri: uri, opts: opts, stats: stats, maxBatch: opts.MaxBatch, successes: map[string]int64{}}
	if err := w.open(ctx, true); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *writer) open(ctx context.Context, migrateSchema bool) (err error) {
	c, err := sqlite3.OpenContext(ctx, w.uri)
	if err != nil {
		return fmt.Errorf("open write connection: %w", err)
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := c.BusyTimeout(w.opts.BusyTimeout); err != nil {
		return fmt.Errorf("set busy timeout: %w", err)
	}
	// page_size counts only when the file is created: 8 KiB pages take a
	// 2 KB event with fewer WAL frames (and syscalls) than 4 KiB ones.
	// journal_mode=WAL sticks to the file; the rest is per connection.
	// synchronous=FULL fsyncs the WAL on every commit: an acknowledged write
	// survives power loss, not only a crash of the process.
	if err := c.Exec(`PRAGMA page_size = 8192;
		PRAGMA journal_mode = WAL;
		PRAGMA synchronous = FULL;
		PRAGMA foreign_keys = ON;
		PRAGMA temp_store = MEMORY;
		PRAGMA cache_size = -32768;
		PRAGMA journal_size_limit = 67108864;`); err != nil {
		return fmt.Errorf("set pragmas: %w", err)
	}
	if mode, err := pragmaText(c, `PRAGMA journal_mode`); err != nil {
		return err
	} else if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal (is the file system local?)", mode)
	}
	if err := attachDedup(c, w.uri); err != nil {
		return err
	}
	// Checkpoints are the checkpointer's job (see afterCommit); the hook
	// replaces SQLite's own wal_autocheckpoint.
	c.WALHook(func(_ *sqlite3.Conn, name string, pages int) error {
		if isDedupName(name) {
			w.dedupWAL = pages
		} else {
			w.walPages = pages
		}
		return nil
	})
	if migrateSchema {
		if err := migrate(c); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	start := time.Now()
	if n, err := repairDedup(c); err != nil {
		return err
	} else if n > 0 && migrateSchema {
		w.opts.Logger.Info("sqlite: indexed delivery ids the dedup file was missing",
			"events", n, "took", time.Since(start).Round(time.Millisecond))
	}
	if err := w.st.prepare(c); err != nil {
		return err
	}
	w.conn = c
	return nil
}

func pragmaText(c *sqlite3.Conn, sql string) (string, error) {
	st, _, err := c.Prepare(sql)
	if err != nil {
		return "", fmt.Errorf("%s: %w", sql, err)
	}
	defer st.Close()
	if !st.Step() {
		return "", fmt.Errorf("%s: %w", sql, st.Err())
	}
	return st.ColumnText(0), nil
}

// close finalizes the statements and closes the connection. Only after run
// has returned.
func (w *writer) close() error {
	if w.conn == nil {
		return nil
	}
	err := errors.Join(w.st.close(), w.conn.Close())
	w.conn = nil
	return err
}

// run is the writer goroutine: it takes whatever requests are pending, up to
// maxBatch, and commits them together, until reqs is closed and drained. A
// request marked alone gets a transaction of its own.
func (w *writer) run(reqs <-chan *request, done chan<- struct{}) {
	defer close(done)
	batch := make([]*request, 0, w.maxBatch)
	var next *request // a request that runs alone, taken while filling
	for {
		r := next
		if next = nil; r == nil {
			var ok bool
			if r, ok = <-reqs; !ok {
				return
			}
		}
		batch = append(batch[:0], r)
	fill:
		for len(batch) < w.maxBatch && !r.alone {
			select {
			case o, ok := <-reqs:
				if !ok {
					break fill
				}
				if o.alone {
					next = o
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		w.runBatch(batch)
		clear(batch)
	}
}

// runBatch commits batch in one transaction and answers every request.
func (w *writer) runBatch(batch []*request) {
	// Callers that gave up before their request was taken get their
	// context's error and are left out.
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
	if err := w.commit(live); err != nil {
		w.stats.failures.Add(1)
		err = unavailable(err)
		for _, r := range live {
			r.res, r.leased, r.err = store.IngestResult{}, nil, err
		}
	} else {
		w.stats.commits.Add(1)
		w.stats.requests.Add(uint64(len(live)))
		w.stats.lastBatch.Store(int64(len(live)))
		w.stats.walPages.Store(int64(w.walPages))
		if w.opts.OnCommit != nil {
			w.opts.OnCommit(len(live), time.Since(start))
		}
	}
	for _, r := range live {
		r.done <- struct{}{}
	}
	w.afterCommit()
}

// commit runs every request of batch in one transaction and commits it.
//
// Requests first run one after the other with nothing around them: SQLite
// undoes a failed statement by itself, and a savepoint per request would
// copy every page it touches. If a request fails on its own (a constraint, a
// bug), its earlier statements may have stuck, so the transaction is rolled
// back and the batch runs again with each request in its own savepoint: the
// failing request is rolled back alone and answered with its error, the
// others commit. Requests are deterministic given the database, so the second
// run sees what the first did.
//
// An error that means the database cannot take writes fails the whole batch;
// it is returned and the connection is closed, to be reopened by the next
// batch.
func (w *writer) commit(batch []*request) (err error) {
	if w.conn == nil {
		if err := w.open(context.Background(), false); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil {
			w.abort()
		}
	}()
	failed, err := w.transact(batch, false)
	if err == nil && failed {
		_, err = w.transact(batch, true)
	}
	return err
}

// transact runs batch in one transaction and commits, or, if a request failed on
// its own and isolate is false, rolls back and reports failed.
func (w *writer) transact(batch []*request, isolate bool) (failed bool, err error) {
	if err := w.st.begin.Exec(); err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	w.dedupMark = 0
	clear(w.successes)
	for _, r := range batch {
		r.res, r.leased, r.err = store.IngestResult{}, nil, nil
		if isolate {
			err = w.applyIsolated(r)
		} else if err = w.do(r); err != nil && !isUnavailable(err) {
			w.st.reset()
			if err := w.st.rollback.Exec(); err != nil {
				return false, fmt.Errorf("rollback: %w", err)
			}
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	if err := w.flushSuccesses(); err != nil {
		return false, err
	}
	if w.dedupMark != 0 {
		b := binder{st: w.st.setDedupMark}
		b.int64(1, w.dedupMark)
		if err := b.exec(); err != nil {
			return false, fmt.Errorf("mark dedup index: %w", err)
		}
	}
	if err := w.st.commit.Exec(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// abort rolls back after a failed batch. The connection is then closed
// (whatever state a disk error left it in) and reopened by the next batch.
func (w *writer) abort() {
	w.st.reset()
	if !w.conn.GetAutocommit() {
		_ = w.st.rollback.Exec()
	}
	_ = w.close()
}

// applyIsolated runs r in a savepoint. It returns an error only if the
// database cannot take writes; r's own failure is rolled back to the
// savepoint and left in r.err.
func (w *writer) applyIsolated(r *request) error {
	if err := w.st.savepoint.Exec(); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	// What the request notes for the end of the transaction is rolled
	// back with it (rare: only failed batches run isolated).
	mark, successes := w.dedupMark, maps.Clone(w.successes)
	err := w.do(r)
	if err != nil && isUnavailable(err) {
		return err
	}
	if err != nil {
		w.st.reset()
		if rerr := w.st.rollbackTo.Exec(); rerr != nil {
			return fmt.Errorf("rollback to savepoint: %w", rerr)
		}
		w.dedupMark, w.successes = mark, successes
		r.res, r.leased, r.err = store.IngestResult{}, nil, err
	}
	if rerr := w.st.release.Exec(); rerr != nil {
		return fmt.Errorf("release savepoint: %w", rerr)
	}
	return nil
}

// do runs one request's statements. An error means r failed and may have
// written part of its work. A failure that wrote nothing (Retry of a delivery
// that is not dead) is no error: the op leaves it in r.err. A panic (a bug)
// fails that request only.
func (w *writer) do(r *request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write of kind %d: %v", r.kind, p)
		}
	}()
	switch r.kind {
	case kindIngest:
		return w.ingest(r)
	case kindReject:
		return w.reject(r)
	case kindLease:
		return w.lease(r)
	case kindComplete:
		return w.complete(r)
	case kindRelease:
		return w.release(r)
	case kindRetry:
		return w.retry(r)
	case kindPing:
		return w.st.ping.Exec()
	case kindFunc:
		return r.fn(w)
	}
	return fmt.Errorf("unknown write kind %d", r.kind)
}
