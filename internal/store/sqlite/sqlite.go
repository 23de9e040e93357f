// Package sqlite is hookgate's embedded storage engine: one SQLite database
// file in WAL mode, written by a single goroutine that group-commits, and
// next to it the dedup index (path + "-dedup"), a second SQLite file that
// can always be rebuilt from the first (see dedup.go).
//
// # One writer, group commit
//
// SQLite lets one connection write at a time, and with synchronous=FULL every
// commit waits for an fsync, which costs far more than the SQL around it. So
// every write (Ingest, Reject, Lease, Complete, Release, Retry, Ping, the
// by-hand operations of admin.go, and Purge, in a transaction of its own) is
// a request sent over a channel to one writer goroutine that owns the only
// write connection. The writer takes
// everything pending (up to Options.MaxBatch
// requests), runs it in one transaction, commits once, and only then answers
// each caller. Under load hundreds of ingests share one fsync; alone, a write
// waits for nobody. No caller hears "done" before the commit holding its write
// is on disk.
//
// A request that fails on its own (a constraint, a bug, even a panic) must
// not take its batch down with it. Requests run back to back with nothing
// around them, which is the fast path; if one fails, the transaction is
// rolled back and the batch runs again with each request inside its own
// SAVEPOINT, so that only the failing one is rolled back and answered with
// its error while the others commit. (Savepoints on every request would cost
// about a sixth of the writer's time: SQLite copies each page a request
// touches into a sub-journal. Validating requests up front cannot catch
// everything a statement can fail on.)
//
// An error that means the database cannot take writes (disk full, I/O
// error, read-only, locked by another process) fails the whole batch: the
// transaction is rolled back, every caller in it gets the error wrapped in
// store.ErrUnavailable, and the writer reopens its connection for the next
// batch, so writes resume by themselves once the disk recovers.
//
// A caller whose context ends before the writer takes its request gets the
// context's error and nothing is written. Once taken, the request commits
// regardless, and the caller waits for that answer. So an error from a write
// means it was not committed, with the one exception every database has: if
// the fsync of the commit itself fails, the write may or may not come back
// after a crash (a provider's retry of such an event is then deduplicated by
// its delivery id).
//
// Reads use a small pool of separate connections with query_only set. WAL lets
// them run alongside the writer, each on its own consistent snapshot. WAL
// checkpoints run on one more connection, off the writer's path (see
// checkpointer), and the WAL's writes reach the OS as one write per commit
// instead of two per page (see walVFS).
//
// # Why this driver
//
// github.com/ncruces/go-sqlite3 is the full SQLite (WAL, savepoints, partial
// indexes, RETURNING) compiled from Wasm to Go, so hookgate stays one static
// binary with no cgo and no C toolchain. Its direct API, rather than
// database/sql, lets the writer keep prepared statements on its one
// connection and bind values without boxing them.
package sqlite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/store"
)

var _ store.Store = (*Store)(nil)

// Options tunes the engine. The zero value is a good default.
type Options struct {
	// MaxBatch caps how many write requests share one transaction (and one
	// fsync). Default 512.
	MaxBatch int
	// ReadConns caps the read-only connections open at once; reads beyond it
	// wait for a free one. Default 4.
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process (a backup, the sqlite3 shell) before failing. Default 5s.
	BusyTimeout time.Duration
	// OnCommit, when set, is called after each committed transaction with
	// how many write requests it held (of every kind) and how long it took,
	// fsync included (metrics). It runs on the writer goroutine: it must
	// be cheap and must not call the store.
	OnCommit func(batch int, took time.Duration)
	// Logger gets what the engine does on its own: rebuilding the dedup
	// index at open. Default slog.Default().
	Logger *slog.Logger

	// vfs names the registered SQLite VFS to use. Default walVFS; tests
	// wrap it to count fsyncs and inject disk errors.
	vfs string
	// checkpointPages is how much the WAL grows between checkpoints.
	// Default 1000 pages (8 MB).
	checkpointPages int
}

func (o Options) withDefaults() Options {
	o.MaxBatch = cmp.Or(max(o.MaxBatch, 0), 512)
	o.ReadConns = cmp.Or(max(o.ReadConns, 0), 4)
	o.BusyTimeout = cmp.Or(max(o.BusyTimeout, 0), 5*time.Second)
	o.checkpointPages = cmp.Or(max(o.checkpointPages, 0), 1000)
	o.vfs = cmp.Or(o.vfs, walVFSName)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Store is a store.Store on one SQLite database file.
type Store struct {
	opts Options
	uri  string

	// mu guards closed. Every call registers in calls while holding mu shared,
	// so once Close has set closed, calls.Wait covers every call in flight.
	mu     sync.RWMutex
	closed bool
	calls  sync.WaitGroup

	reqs       chan *request
	writerDone chan struct{}
	w          *writer
	requests   sync.Pool // of *request
	readers    *readPool
	stats      counters
	// recent holds the last committed events for Event (see recent.go).
	recent *recentEvents
}

// Open opens (creating if needed) the database at path, creates its folder if
// missing, brings its schema up to date and starts the writer goroutine.
// ctx bounds the opening only.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, unavailable(err))
	}
	s := &Store{
		opts:       opts,
		uri:        fileURI(abs, opts.vfs),
		reqs:       make(chan *request, opts.MaxBatch),
		writerDone: make(chan struct{}),
		recent:     newRecentEvents(recentBytes),
	}
	s.requests.New = func() any { return &request{done: make(chan struct{}, 1)} }
	s.w, err = openWriter(ctx, s.uri, opts, &s.stats)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, unavailable(err))
	}
	s.readers = newReadPool(s.uri, opts)
	// Open one reader now so a database readers cannot use fails here.
	rc, err := s.readers.get(ctx)
	if err != nil {
		s.readers.close()
		s.w.close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, unavailable(err))
	}
	s.readers.put(rc, nil)
	s.w.checkpoints, err = startCheckpointer(s.uri, opts)
	if err != nil {
		s.readers.close()
		s.w.close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, unavailable(err))
	}
	go s.w.run(s.reqs, s.writerDone)
	return s, nil
}

// fileURI makes a SQLite URI filename for path.
func fileURI(path, vfs string) string {
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(path)}
	if vfs != "" {
		u.RawQuery = "vfs=" + url.QueryEscape(vfs)
	}
	return u.String()
}

// Close stops taking calls, waits for the calls in flight (their writes are
// committed), stops the writer goroutine and closes every connection. Calls
// after Close fail with store.ErrClosed; closing again returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.calls.Wait()
	close(s.reqs)
	<-s.writerDone
	// The writer's connection closes last: the last connection to close
	// checkpoints the whole WAL into the database file and removes it.
	err := errors.Join(s.w.checkpoints.stop(), s.readers.close(), s.w.close())
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// enter registers a call, or fails once the store is closed. Every enter is
// paired with a leave.
func (s *Store) enter() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	s.calls.Add(1)
	return nil
}

func (s *Store) leave() { s.calls.Done() }

// Stats counts the writer's work, for metrics.
type Stats struct {
	// Commits is the number of write transactions committed.
	Commits uint64
	// Requests is the number of write requests those commits answered;
	// Requests/Commits is the mean group-commit batch size.
	Requests uint64
	// LastBatch is the number of requests in the last committed transaction.
	LastBatch int
	// Failures is the number of transactions that failed as a whole (every
	// request in them got the error).
	Failures uint64
	// WALPages is the size of the write-ahead log, in pages, after the last
	// commit. It grows until a checkpoint catches up with the writer.
	WALPages int
}

// counters are the live values behind Stats.
type counters struct {
	commits, requests, failures atomic.Uint64
	lastBatch, walPages         atomic.Int64
}

// Stats returns the writer's counters so far. It is safe to call at any time,
// also after Close.
func (s *Store) Stats() Stats {
	return Stats{
		Commits:   s.stats.commits.Load(),
		Requests:  s.stats.requests.Load(),
		LastBatch: int(s.stats.lastBatch.Load()),
		Failures:  s.stats.failures.Load(),
		WALPages:  int(s.stats.walPages.Load()),
	}
}

// unavailable wraps err in store.ErrUnavailable when it means the database
// cannot take writes right now: disk full or failing, read-only, cannot be
// opened, or locked by another process. Other errors are returned as is.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if isUnavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func isUnavailable(err error) bool {
	var code sqlite3.ErrorCode
	if errors.As(err, &code) {
		switch code {
		case sqlite3.IOERR, sqlite3.FULL, sqlite3.READONLY, sqlite3.CANTOPEN,
			sqlite3.PERM, sqlite3.BUSY, sqlite3.LOCKED, sqlite3.NOMEM,
			sqlite3.CORRUPT, sqlite3.NOTADB, sqlite3.PROTOCOL, sqlite3.NOLFS:
			return true
		}
		return false
	}
	// Failures outside SQLite, such as creating the folder.
	var pathErr *os.PathError
	return errors.As(err, &pathErr)
}
