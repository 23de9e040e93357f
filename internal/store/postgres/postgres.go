// Package postgres is hookgate's scale-out storage engine: any number of
// hookgate nodes share one PostgreSQL database, each ingesting and delivering.
//
// # Ingest: app-side group commit
//
// With synchronous_commit on, every commit waits for PostgreSQL to flush its
// WAL, and one transaction per event spends most of its time waiting on that
// flush. So Ingest (and Reject) calls are requests sent over a channel to a few
// writer goroutines (Options.Writers). A writer takes everything pending, up
// to Options.MaxBatch requests, and writes it with one statement per table
// (multi-row INSERT ... SELECT FROM unnest of arrays, events and their
// deliveries in one statement), pipelined in one implicit transaction with the
// NOTIFY that wakes workers, in one round trip. It answers the callers only
// after COMMIT. Duplicates (same source and provider delivery id) are found
// twice: within the batch, before anything is sent, and against the table by
// ON CONFLICT on the partial unique index; rows are sent in (source,
// delivery_id) order so that two batches racing on the same ids wait for each
// other in one order and never deadlock.
//
// If a batch fails on its own (a clashing event id, a bug), each request is
// written again alone so that only the guilty one gets the error. If the
// failure means the database is unreachable or cannot write (connection
// refused or lost, shutting down, disk full, read-only), every request gets
// it wrapped in store.ErrUnavailable, and ingest answers 503. pgxpool opens
// fresh connections on later calls, so writes resume by themselves when the
// database is back.
//
// A caller whose context ends before a writer takes its request gets the
// context's error and nothing is written. Once taken, the request commits
// regardless and the caller waits for the answer. An error therefore means
// "not committed", except when the connection is lost after COMMIT was sent
// and before its answer came back: then the write may have landed, and a
// provider's retry of that event is deduplicated by its delivery id.
//
// # Delivery across nodes
//
// Lease claims due deliveries with UPDATE ... FROM (SELECT ... ORDER BY
// next_at, id LIMIT n FOR UPDATE SKIP LOCKED): nodes leasing at once get
// disjoint sets without waiting on each other. A node that dies keeps its
// leases only until they expire; then any node takes them over. Every write
// that makes deliveries due (Ingest, Release, Retry) sends NOTIFY on one
// channel in its transaction; Subscribe LISTENs on a connection of its own and
// calls back, so a worker on any node wakes within milliseconds of the
// commit instead of at its next poll.
//
// # Schema
//
// The embedded migrations (migrations/*.sql) are applied by Open (and by
// `hookgate migrate`) in one transaction under pg_advisory_xact_lock, with
// the version recorded in schema_migrations, so nodes starting at once are
// safe. The tables go into the first schema of the connection's search_path.
//
// # Why this driver
//
// github.com/jackc/pgx/v5 speaks PostgreSQL's protocol natively: binary
// arrays for multi-row inserts, pipelined batches, LISTEN/NOTIFY, and a pool
// (pgxpool) that replaces broken connections by itself. database/sql with
// lib/pq has neither the batches nor maintained LISTEN support.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookgate/hookgate/internal/store"
)

var _ store.Store = (*Store)(nil)

// notifyChannel is the LISTEN/NOTIFY channel that says "deliveries may be
// due". It is database-wide: deployments in several schemas of one database
// wake each other's workers for nothing, which costs a lease query.
const notifyChannel = "hookgate_deliveries"

// Options tunes the engine. The zero value is a good default.
type Options struct {
	// MaxConns caps the pool's connections; the LISTEN connection of
	// Subscribe is one more. Default: the DSN's pool_max_conns, else 10.
	MaxConns int
	// MaxBatch caps how many Ingest and Reject calls share one transaction.
	// Default 512.
	MaxBatch int
	// Writers is how many batches may be in flight at once: while one waits
	// for its commit, the next one fills. Default 2.
	Writers int
	// Timeout bounds each statement or transaction, so that a database that
	// stops answering fails calls with store.ErrUnavailable instead of
	// hanging them. Default 10s.
	Timeout time.Duration
	// ConnectTimeout bounds opening one connection, unless the DSN sets
	// connect_timeout. Default 5s.
	ConnectTimeout time.Duration
	// Logger receives the notification listener's reconnects. Default
	// slog.Default().
	Logger *slog.Logger
	// OnCommit, when set, is called after each committed Ingest and Reject
	// batch with how many calls it held and how long it took (metrics). It
	// runs on a writer goroutine, maybe on several at once: it must be
	// cheap, safe for concurrent use, and must not call the store.
	OnCommit func(batch int, took time.Duration)
}

func (o Options) withDefaults() Options {
	o.MaxConns = max(o.MaxConns, 0)
	o.MaxBatch = cmp.Or(max(o.MaxBatch, 0), 512)
	o.Writers = cmp.Or(max(o.Writers, 0), 2)
	o.Timeout = cmp.Or(max(o.Timeout, 0), 10*time.Second)
	o.ConnectTimeout = cmp.Or(max(o.ConnectTimeout, 0), 5*time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Store is a store.Store on one PostgreSQL database.
type Store struct {
	opts Options
	pool *pgxpool.Pool

	// mu guards closed. Every call registers in calls while holding mu
	// shared, so once Close has set closed, calls.Wait covers every call in
	// flight.
	mu     sync.RWMutex
	closed bool
	calls  sync.WaitGroup

	reqs     chan *request
	writers  sync.WaitGroup
	requests sync.Pool // of *request
	stats    counters

	notify listener
	events eventCache // of the deliveries just leased
}

// Open connects to the database at dsn, brings its schema up to date and
// starts the writer goroutines. ctx bounds the opening only. The DSN is a
// PostgreSQL URL or keyword/value string; pgxpool's pool_* parameters are
// accepted. synchronous_commit is set to on unless the DSN sets it.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", unavailable(err))
	}
	if _, err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	s := &Store{
		opts: opts,
		pool: pool,
		reqs: make(chan *request, opts.MaxBatch),
	}
	s.requests.New = func() any { return &request{done: make(chan struct{}, 1)} }
	s.notify.init(cfg.ConnConfig, opts.Logger)
	for range opts.Writers {
		s.writers.Add(1)
		go s.runWriter()
	}
	return s, nil
}

// poolConfig parses dsn and applies opts and hookgate's session settings.
func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	if dsn == "" {
		return nil, errors.New("postgres: empty DSN")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included.
		return nil, errors.New("postgres: invalid DSN (want postgres://user:password@host:port/database?sslmode=... or key=value pairs)")
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = int32(opts.MaxConns)
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = 10
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = opts.ConnectTimeout
	}
	if _, ok := cc.RuntimeParams["synchronous_commit"]; !ok {
		cc.RuntimeParams["synchronous_commit"] = "on"
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "hookgate"
	}
	return cfg, nil
}

// Close stops taking calls, waits for the calls in flight (their writes are
// committed), stops the writers and the listener and closes the pool. Calls
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
	s.writers.Wait()
	s.notify.stop()
	s.pool.Close()
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

// Stats counts the writers' work, for metrics and benchmarks.
type Stats struct {
	// Commits is the number of write batches committed.
	Commits uint64
	// Requests is the number of Ingest and Reject calls those commits
	// answered; Requests/Commits is the mean group-commit batch size.
	Requests uint64
	// LastBatch is the number of requests in the last committed batch.
	LastBatch int
	// Failures is the number of batches that failed as a whole.
	Failures uint64
}

type counters struct {
	commits, requests, failures atomic.Uint64
	lastBatch                   atomic.Int64
}

// Stats returns the writers' counters so far. It is safe to call at any
// time, also after Close.
func (s *Store) Stats() Stats {
	return Stats{
		Commits:   s.stats.commits.Load(),
		Requests:  s.stats.requests.Load(),
		LastBatch: int(s.stats.lastBatch.Load()),
		Failures:  s.stats.failures.Load(),
	}
}
