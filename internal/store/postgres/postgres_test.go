package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
	"github.com/hookgate/hookgate/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, pgtest.Schema(t), Options{})
	})
}

func open(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newEvent(i int) *event.Event {
	return &event.Event{
		ID:         event.NewID(),
		Source:     "github",
		Method:     "POST",
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       fmt.Appendf(nil, `{"n":%d}`, i),
		ReceivedAt: t0.Add(time.Duration(i) * time.Millisecond),
	}
}

// routesTo returns plain routes to dests.
func routesTo(dests ...string) []store.Route {
	rs := make([]store.Route, len(dests))
	for i, d := range dests {
		rs[i] = store.Route{Destination: d}
	}
	return rs
}

func mustIngest(t testing.TB, s *Store, ev *event.Event, dests ...string) store.IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), ev, routesTo(dests...))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return res
}

// query runs sql on its own connection and scans one row into dest.
func query(t testing.TB, dsn, sql string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// exec runs sql (statements separated by ';') on its own connection.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx := context.Background() // also from Cleanup, after t.Context is done
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Nodes starting at once on an empty database: one migrates, the others wait
// on the lock and find nothing to do.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	const nodes = 6
	results := make([]Migration, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { results[i], errs[i] = Migrate(t.Context(), dsn) })
	}
	wg.Wait()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	fresh := 0
	for i, m := range results {
		if errs[i] != nil {
			t.Fatalf("Migrate %d: %v", i, errs[i])
		}
		if m.To != len(ms) {
			t.Errorf("Migrate %d: to version %d, want %d", i, m.To, len(ms))
		}
		if m.From == 0 {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d nodes applied the schema, want exactly 1: %+v", fresh, results)
	}
	var versions int
	query(t, dsn, `SELECT count(*) FROM schema_migrations`, &versions)
	if versions != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", versions, len(ms))
	}
	s := open(t, dsn, Options{})
	mustIngest(t, s, newEvent(1), "app")
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	if _, err := Migrate(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `INSERT INTO schema_migrations VALUES (99, 'future', 0)`)
	_, err := Open(t.Context(), dsn, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this hookgate supports") {
		t.Fatalf("Open on a newer schema: %v, want a refusal", err)
	}
}

// batch runs evs through one writer batch, as concurrent Ingest calls would
// be, and returns each result.
func batch(t *testing.T, s *Store, evs ...*event.Event) ([]store.IngestResult, []error) {
	t.Helper()
	reqs := make([]*request, len(evs))
	for i, ev := range evs {
		r := s.getRequest(kindIngest)
		if err := r.setIngest(ev, routesTo("app")); err != nil {
			t.Fatal(err)
		}
		r.ctx = t.Context()
		reqs[i] = r
	}
	s.runBatch(reqs)
	res, errs := make([]store.IngestResult, len(evs)), make([]error, len(evs))
	for i, r := range reqs {
		<-r.done
		res[i], errs[i] = r.res, r.err
		s.putRequest(r)
	}
	return res, errs
}

// Duplicates within one batch dedup as well as those against the table.
func TestBatchDedup(t *testing.T) {
	t.Parallel()
	s := open(t, pgtest.Schema(t), Options{})
	old := newEvent(0)
	old.DeliveryID = "old"
	mustIngest(t, s, old, "app")

	a, b, c, d, e := newEvent(1), newEvent(2), newEvent(3), newEvent(4), newEvent(5)
	a.DeliveryID, b.DeliveryID, c.DeliveryID = "new", "new", "old"
	e.DeliveryID, e.Source = "new", "stripe" // another source: not a duplicate
	res, errs := batch(t, s, a, b, c, d, e)
	want := []store.IngestResult{
		{EventID: a.ID}, {EventID: a.ID, Duplicate: true}, {EventID: old.ID, Duplicate: true},
		{EventID: d.ID}, {EventID: e.ID},
	}
	for i := range want {
		if errs[i] != nil || res[i] != want[i] {
			t.Errorf("event %d: got %+v, %v; want %+v", i, res[i], errs[i], want[i])
		}
	}
	for _, ev := range []*event.Event{b, c} {
		if _, err := s.Event(t.Context(), ev.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("duplicate %s was stored: %v", ev.ID, err)
		}
	}
	all, err := s.Deliveries(t.Context(), store.DeliveryFilter{})
	if err != nil || len(all) != 4 {
		t.Errorf("Deliveries = %d, %v; want 4 (old, a, d, e)", len(all), err)
	}
}

// A request that fails on its own fails alone; the rest of its batch
// commits.
func TestBatchIsolatesFailure(t *testing.T) {
	t.Parallel()
	s := open(t, pgtest.Schema(t), Options{})
	first := newEvent(0)
	mustIngest(t, s, first, "app")

	clash := newEvent(1)
	clash.ID = first.ID // the same event id again: a primary key violation
	ok1, ok2 := newEvent(2), newEvent(3)
	res, errs := batch(t, s, ok1, clash, ok2)
	if errs[1] == nil || errors.Is(errs[1], store.ErrUnavailable) {
		t.Errorf("clashing event: %v, want an error that is not ErrUnavailable", errs[1])
	}
	for i, ev := range []*event.Event{ok1, ok2} {
		j := []int{0, 2}[i]
		if errs[j] != nil || res[j].EventID != ev.ID {
			t.Errorf("event %d: %+v, %v; want stored", j, res[j], errs[j])
		}
		if _, err := s.Event(t.Context(), ev.ID); err != nil {
			t.Errorf("event %d not stored: %v", j, err)
		}
	}
}

// While the database is unreachable, writes and Ping fail with
// ErrUnavailable, promptly; when it is back, the same Store works again.
func TestUnavailableThenRecovers(t *testing.T) {
	t.Parallel()
	p, dsn := newProxy(t, pgtest.Schema(t))
	s := open(t, dsn, Options{Timeout: 3 * time.Second, ConnectTimeout: time.Second})
	acked := newEvent(0)
	mustIngest(t, s, acked, "app")

	p.cut()
	start := time.Now()
	for i := range 3 { // the pool's idle connections are dead, then new ones are refused
		_, err := s.Ingest(t.Context(), newEvent(i+1), routesTo("app"))
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Ingest while down: %v, want ErrUnavailable", err)
		}
	}
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping while down: %v, want ErrUnavailable", err)
	}
	if _, err := s.Lease(t.Context(), t0, 10, time.Minute); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Lease while down: %v, want ErrUnavailable", err)
	}
	if err := s.Reject(t.Context(), event.Rejection{Source: "x", ReceivedAt: t0, Status: 401}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Reject while down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %v; calls must fail promptly while the database is down", d)
	}

	p.restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := s.Ingest(t.Context(), newEvent(9), routesTo("app"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ingest still failing after the database came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after recovery: %v", err)
	}
	if _, err := s.Event(t.Context(), acked.ID); err != nil {
		t.Errorf("event acknowledged before the outage: %v", err)
	}
}

// An Ingest on one node wakes a subscriber on another within milliseconds.
func TestSubscribeAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	a, b := open(t, dsn, Options{}), open(t, dsn, Options{})
	woke := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := b.Subscribe(ctx, func() {
		select {
		case woke <- struct{}{}:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	wait := func(what string) time.Duration {
		t.Helper()
		start := time.Now()
		select {
		case <-woke:
			return time.Since(start)
		case <-time.After(5 * time.Second):
			t.Fatalf("no wake-up within 5s: %s", what)
			return 0
		}
	}
	wait("on listening") // called once LISTEN is in place
	for i := range 3 {
		start := time.Now()
		mustIngest(t, a, newEvent(i), "app")
		wait("after an Ingest on the other node")
		t.Logf("woken %v after Ingest returned", time.Since(start))
	}
	cancel()
	time.Sleep(50 * time.Millisecond)
	// The channel is database-wide: other tests' ingests may have woken b
	// just before; forget that.
	select {
	case <-woke:
	default:
	}
	mustIngest(t, a, newEvent(9), "app")
	select {
	case <-woke:
		t.Error("called after its context ended")
	case <-time.After(300 * time.Millisecond):
	}
}

// The listener comes back by itself after the connection is lost, and says
// so by calling back (notifications sent meanwhile are lost).
func TestSubscribeReconnects(t *testing.T) {
	t.Parallel()
	schema := pgtest.Schema(t)
	p, viaProxy := newProxy(t, schema)
	a, b := open(t, schema, Options{}), open(t, viaProxy, Options{})
	woke := make(chan struct{}, 1)
	if err := b.Subscribe(t.Context(), func() {
		select {
		case woke <- struct{}{}:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-woke:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up within 10s: %s", what)
		}
	}
	wait("on listening")
	p.cut()
	time.Sleep(200 * time.Millisecond)
	p.restore()
	wait("on listening again")
	mustIngest(t, a, newEvent(1), "app")
	wait("after an Ingest")
}

// Nodes leasing at once never get the same delivery.
func TestLeaseAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	nodes := []*Store{open(t, dsn, Options{}), open(t, dsn, Options{}), open(t, dsn, Options{})}
	const events = 600
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() { mustIngest(t, nodes[i%3], newEvent(i), "app") })
	}
	wg.Wait()

	var mu sync.Mutex
	leased := map[string]int{}
	now := t0.Add(time.Hour)
	for _, s := range nodes {
		for range 2 {
			wg.Go(func() {
				for {
					ds, err := s.Lease(t.Context(), now, 25, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						leased[d.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(leased) != events {
		t.Errorf("leased %d distinct deliveries, want %d", len(leased), events)
	}
	for id, n := range leased {
		if n != 1 {
			t.Errorf("delivery %s leased %d times", id, n)
		}
	}
}

// Lease reads the events of what it leased in one query, and the worker's
// Event calls that follow are answered from them, once each.
func TestLeasePrefetchesEvents(t *testing.T) {
	t.Parallel()
	p, dsn := newProxy(t, pgtest.Schema(t))
	s := open(t, dsn, Options{Timeout: 3 * time.Second, ConnectTimeout: time.Second})
	evs := []*event.Event{newEvent(1), newEvent(2)}
	mustIngest(t, s, evs[0], "app", "audit")
	mustIngest(t, s, evs[1], "app")
	if ds, err := s.Lease(t.Context(), t0.Add(time.Hour), 10, time.Minute); err != nil || len(ds) != 3 {
		t.Fatalf("Lease = %d deliveries, %v; want 3", len(ds), err)
	}
	p.cut() // from here on, only what Lease prefetched can answer
	for _, want := range evs {
		got, err := s.Event(t.Context(), want.ID)
		if err != nil {
			t.Fatalf("Event(%s) after Lease: %v", want.ID, err)
		}
		if got.ID != want.ID || !bytes.Equal(got.Body, want.Body) || !got.ReceivedAt.Equal(want.ReceivedAt) {
			t.Errorf("Event(%s) = %+v, want %+v", want.ID, got, want)
		}
	}
	if _, err := s.Event(t.Context(), evs[0].ID); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("second Event of the same id: %v, want a read from the (unreachable) database", err)
	}
}

// Once `hookgate migrate` has run as the schema's owner, nodes can run as a
// role that may only read and write rows.
func TestOpenWithoutCreatePrivilege(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	if _, err := Migrate(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	var schema string
	query(t, dsn, `SELECT current_schema()`, &schema)
	role := schema + "_node"
	exec(t, dsn, `CREATE ROLE `+role+` LOGIN; GRANT USAGE ON SCHEMA `+schema+` TO `+role+`;
		GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA `+schema+` TO `+role)
	t.Cleanup(func() { exec(t, pgtest.DSN(t), `DROP OWNED BY `+role+`; DROP ROLE `+role) })
	s := open(t, pgtest.WithParam(dsn, "user", role), Options{})
	mustIngest(t, s, newEvent(1), "app")
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping as %s: %v", role, err)
	}
}
