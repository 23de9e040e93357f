package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "hookgate.db"), Options{})
	})
}

func open(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
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

func mustIngest(t testing.TB, s *Store, ev *event.Event, dests ...string) {
	t.Helper()
	if _, err := s.Ingest(context.Background(), ev, routesTo(dests...)); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
}

func TestOpenCreatesFolder(t *testing.T) {
	t.Parallel()
	// Characters that mean something in a URI filename.
	path := filepath.Join(t.TempDir(), "new folder", "a#b?c=d%20e&f", "hookgate.db")
	s := open(t, path, Options{})
	defer s.Close()
	mustIngest(t, s, newEvent(0), "app")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("WAL file: %v", err)
	}
}

// TestReopen checks that what was acknowledged is there after Close and Open,
// with the schema version recorded.
func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	ev := newEvent(1)
	mustIngest(t, s, ev, "app")
	leased, err := s.Lease(t.Context(), t0.Add(time.Hour), 10, time.Minute)
	if err != nil || len(leased) != 1 {
		t.Fatalf("Lease = %v, %v", leased, err)
	}
	err = s.Complete(t.Context(), []store.Outcome{{
		DeliveryID: leased[0].ID, Lease: leased[0].Lease, State: event.Succeeded,
		Attempt: event.Attempt{N: 1, StartedAt: t0.Add(time.Hour), Status: 200},
	}})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, path, Options{})
	defer s.Close()
	got, err := s.Event(t.Context(), ev.ID)
	if err != nil {
		t.Fatalf("Event after reopen: %v", err)
	}
	if string(got.Body) != string(ev.Body) {
		t.Errorf("body after reopen = %q, want %q", got.Body, ev.Body)
	}
	d, err := s.Delivery(t.Context(), leased[0].ID)
	if err != nil || d.State != event.Succeeded {
		t.Errorf("Delivery after reopen = %+v, %v; want succeeded", d, err)
	}
	var version int
	err = s.read(t.Context(), func(c *readConn) (err error) {
		version, err = userVersion(c.conn)
		return err
	})
	if err != nil || version != len(migrations) {
		t.Errorf("schema version = %d, %v; want %d", version, err, len(migrations))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	c, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s, err := Open(t.Context(), path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer hookgate succeeded")
	}
}

// TestAckAfterFsync proves that Ingest returns only once its write is
// fsynced: after each acknowledged ingest the WAL holds no unsynced bytes.
func TestAckAfterFsync(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
	defer s.Close()
	for i := range 20 {
		syncs := v.walSyncs.Load()
		mustIngest(t, s, newEvent(i), "app")
		if got := v.walSyncs.Load(); got <= syncs {
			t.Fatalf("ingest %d: WAL fsyncs %d before, %d after; want more", i, syncs, got)
		}
		if n := v.walPending.Load(); n != 0 {
			t.Fatalf("ingest %d acknowledged with %d WAL bytes not fsynced", i, n)
		}
	}
}

// holdCommit makes the writer's next fsync wait until release is called, and
// returns once the writer is waiting in it.
func holdCommit(t *testing.T, v *testVFS, s *Store, ev *event.Event) (release func() error) {
	t.Helper()
	inSync := make(chan struct{})
	proceed := make(chan struct{})
	var once sync.Once
	v.setOnSync(func() {
		once.Do(func() {
			close(inSync)
			<-proceed
		})
	})
	done := make(chan error, 1)
	go func() {
		_, err := s.Ingest(context.Background(), ev, routesTo("app"))
		done <- err
	}()
	<-inSync
	return func() error {
		v.setOnSync(nil)
		close(proceed)
		return <-done
	}
}

// waitQueued spins until n requests wait in the writer's queue.
func waitQueued(s *Store, n int) {
	for len(s.reqs) < n {
		runtime.Gosched()
	}
}

// TestGroupCommit holds one commit in its fsync while 100 ingests queue up,
// then checks that they all share the next transaction.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
	defer s.Close()
	release := holdCommit(t, v, s, newEvent(0))

	const n = 100
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = s.Ingest(t.Context(), newEvent(i+1), routesTo("app")) })
	}
	waitQueued(s, n)
	before, syncs := s.Stats(), v.walSyncs.Load()
	if err := release(); err != nil {
		t.Fatalf("held Ingest: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Ingest %d: %v", i, err)
		}
	}
	st := s.Stats()
	if got := st.Commits - before.Commits; got != 2 {
		t.Errorf("commits = %d, want 2 (the held one and one for the %d queued)", got, n)
	}
	if st.LastBatch != n {
		t.Errorf("last batch = %d requests, want %d", st.LastBatch, n)
	}
	if got := v.walSyncs.Load() - syncs; got != 2 {
		t.Errorf("WAL fsyncs = %d, want 2", got)
	}
}

// TestContextWhileQueued: a caller that gives up while its request waits
// gets its context's error and nothing is written; one whose request is
// already being committed gets its write.
func TestContextWhileQueued(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
	defer s.Close()

	// Taken, then canceled: committed regardless.
	taken := newEvent(0)
	ctx, cancel := context.WithCancel(t.Context())
	inSync := make(chan struct{})
	proceed := make(chan struct{})
	var once sync.Once
	v.setOnSync(func() {
		once.Do(func() {
			close(inSync)
			<-proceed
		})
	})
	takenErr := make(chan error, 1)
	go func() {
		_, err := s.Ingest(ctx, taken, routesTo("app"))
		takenErr <- err
	}()
	<-inSync
	cancel()

	// Queued behind it, then canceled: not written.
	queued := newEvent(1)
	qctx, qcancel := context.WithCancel(t.Context())
	queuedErr := make(chan error, 1)
	go func() {
		_, err := s.Ingest(qctx, queued, routesTo("app"))
		queuedErr <- err
	}()
	waitQueued(s, 1)
	qcancel()
	v.setOnSync(nil)
	close(proceed)

	if err := <-takenErr; err != nil {
		t.Errorf("Ingest canceled during its commit: %v, want nil", err)
	}
	if _, err := s.Event(t.Context(), taken.ID); err != nil {
		t.Errorf("Event committed after cancel: %v", err)
	}
	if err := <-queuedErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Ingest canceled while queued: %v, want context.Canceled", err)
	}
	if _, err := s.Event(t.Context(), queued.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Event canceled while queued: %v, want ErrNotFound", err)
	}
}

// TestBadRequestIsolated puts a failing request (an event id that already
// exists) in one batch with good ones: only it fails.
func TestBadRequestIsolated(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
	defer s.Close()
	first := newEvent(0)
	release := holdCommit(t, v, s, first)

	clash := newEvent(1)
	clash.ID = first.ID
	good := []*event.Event{newEvent(2), newEvent(3)}
	errs := make(chan error, 3)
	go func() {
		_, err := s.Ingest(t.Context(), clash, routesTo("app"))
		errs <- err
	}()
	waitQueued(s, 1)
	for _, ev := range good {
		go func() {
			_, err := s.Ingest(t.Context(), ev, routesTo("app", "audit"))
			errs <- err
		}()
	}
	waitQueued(s, 3)
	if err := release(); err != nil {
		t.Fatalf("held Ingest: %v", err)
	}
	var failed int
	for range 3 {
		if err := <-errs; err != nil {
			failed++
			if errors.Is(err, store.ErrUnavailable) {
				t.Errorf("clashing id reported as unavailable: %v", err)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d ingests failed, want only the clashing one", failed)
	}
	if st := s.Stats(); st.LastBatch != 3 {
		t.Errorf("last batch = %d, want 3", st.LastBatch)
	}
	for _, ev := range good {
		ds, err := s.Deliveries(t.Context(), store.DeliveryFilter{EventID: ev.ID})
		if err != nil || len(ds) != 2 {
			t.Errorf("deliveries of a good event = %v, %v; want 2", ds, err)
		}
	}
	got, err := s.Event(t.Context(), first.ID)
	if err != nil || string(got.Body) != string(first.Body) {
		t.Errorf("first event = %+v, %v; want it unchanged", got, err)
	}
	if ds, _ := s.Deliveries(t.Context(), store.DeliveryFilter{EventID: first.ID}); len(ds) != 1 {
		t.Errorf("first event has %d deliveries, want 1", len(ds))
	}
}

// TestDiskFull fails every write as a full disk would: callers get
// ErrUnavailable, nothing is half-written, and writes resume once there is
// room again.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"full", sqlite3.FULL},
		{"read-only file system", vfs.SystemError(syscall.EROFS, sqlite3.IOERR_WRITE)},
		{"fsync fails", vfs.SystemError(syscall.EIO, sqlite3.IOERR_FSYNC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, opts := newTestVFS(t)
			s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
			defer s.Close()
			mustIngest(t, s, newEvent(0), "app")

			v.setFail(tt.err)
			lost := newEvent(1)
			_, err := s.Ingest(t.Context(), lost, routesTo("app", "audit"))
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("Ingest on a failing disk: %v, want ErrUnavailable", err)
			}
			if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("Ping on a failing disk: %v, want ErrUnavailable", err)
			}
			if s.Stats().Failures == 0 {
				t.Error("Stats.Failures = 0 after failed commits")
			}

			v.setFail(nil)
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping after the disk recovered: %v", err)
			}
			mustIngest(t, s, newEvent(2), "app")
			if _, err := s.Event(t.Context(), lost.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Event that failed to commit: %v, want ErrNotFound", err)
			}
			if ds, _ := s.Deliveries(t.Context(), store.DeliveryFilter{EventID: lost.ID}); len(ds) != 0 {
				t.Errorf("deliveries of the failed event: %v, want none", ds)
			}
			checkIntegrity(t, s)
		})
	}
}

func checkIntegrity(t *testing.T, s *Store) {
	t.Helper()
	err := s.read(t.Context(), func(c *readConn) error {
		got, err := pragmaText(c.conn, `PRAGMA integrity_check`)
		if err == nil && got != "ok" {
			err = fmt.Errorf("integrity_check: %s", got)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

// TestReadOnly opens a write-protected database: Open fails with
// ErrUnavailable.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, opts)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	v.readOnly = true
	v.mu.Unlock()
	s, err := Open(t.Context(), path, opts)
	if err == nil {
		s.Close()
		t.Fatal("Open of a read-only database succeeded")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open of a read-only database: %v, want ErrUnavailable", err)
	}
}

// TestUnwritableFolder uses real permissions, which root ignores.
func TestUnwritableFolder(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	_, err := Open(t.Context(), filepath.Join(dir, "hookgate.db"), Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open in a read-only folder: %v, want ErrUnavailable", err)
	}
}

// TestCheckpoint ingests well past the checkpoint size, with readers going,
// and checks that the WAL was copied into the database file and started
// over, and that every event reads back.
func TestCheckpoint(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	const every = 8
	s := open(t, path, Options{checkpointPages: every})
	defer s.Close()

	body := make([]byte, 8<<10)
	var wg sync.WaitGroup
	ids := make(chan string, 1000)
	for w := range 16 {
		wg.Go(func() {
			for i := range 25 {
				ev := newEvent(w*100 + i)
				ev.Body = append(body[:len(body):len(body)], ev.Body...)
				mustIngest(t, s, ev, "app")
				ids <- ev.ID
				if _, err := s.Event(t.Context(), ev.ID); err != nil {
					t.Errorf("Event right after Ingest: %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	for id := range ids {
		if _, err := s.Event(t.Context(), id); err != nil {
			t.Fatalf("Event(%s): %v", id, err)
		}
	}
	// Once the load stops, a few commits see the WAL start over.
	for i := 0; s.Stats().WALPages > 4*every; i++ {
		if i == 100 {
			t.Fatalf("WAL still at %d pages after %d commits with no load", s.Stats().WALPages, i)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 2<<20 {
		t.Errorf("database file is %d bytes: checkpoints did not copy the WAL", fi.Size())
	}
	checkIntegrity(t, s)
}

// TestDedupInOneBatch queues two events with the same provider id behind a
// held commit, so they share a transaction: one is stored, the other is its
// duplicate.
func TestDedupInOneBatch(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
	defer s.Close()
	release := holdCommit(t, v, s, newEvent(0))

	results := make(chan store.IngestResult, 2)
	for i := range 2 {
		ev := newEvent(i + 1)
		ev.DeliveryID = "same"
		go func() {
			res, err := s.Ingest(t.Context(), ev, routesTo("app"))
			if err != nil {
				t.Errorf("Ingest: %v", err)
			}
			results <- res
		}()
		waitQueued(s, i+1)
	}
	if err := release(); err != nil {
		t.Fatalf("held Ingest: %v", err)
	}
	a, b := <-results, <-results
	if st := s.Stats(); st.LastBatch != 2 {
		t.Errorf("last batch = %d requests, want 2", st.LastBatch)
	}
	if a.Duplicate == b.Duplicate || a.EventID != b.EventID {
		t.Fatalf("results %+v and %+v, want one stored and one duplicate of it", a, b)
	}
	ds, err := s.Deliveries(t.Context(), store.DeliveryFilter{EventID: a.EventID})
	if err != nil || len(ds) != 1 {
		t.Errorf("deliveries = %v, %v; want 1", ds, err)
	}
}

// TestForeignKeyIsolated puts a request that breaks a foreign key (a
// delivery of an event that does not exist) in one batch with good ones:
// only it fails, and nothing of it is left.
func TestForeignKeyIsolated(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), opts)
	defer s.Close()
	release := holdCommit(t, v, s, newEvent(0))

	good := []*event.Event{newEvent(1), newEvent(2)}
	errs := make(chan error, 3)
	go func() {
		errs <- s.admin(t.Context(), func(w *writer) error {
			return w.conn.Exec(`INSERT INTO deliveries (id, event_id, destination, state, attempts, next_at,
				created_at, updated_at, last_error, lease) VALUES ('orphan', 'no-such-event', 'app', 'pending', 0, 1, 1, 1, '', '')`)
		})
	}()
	waitQueued(s, 1)
	for _, ev := range good {
		go func() {
			_, err := s.Ingest(t.Context(), ev, routesTo("app"))
			errs <- err
		}()
	}
	waitQueued(s, 3)
	if err := release(); err != nil {
		t.Fatalf("held Ingest: %v", err)
	}
	var failed []error
	for range 3 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || !errors.Is(failed[0], sqlite3.CONSTRAINT_FOREIGNKEY) {
		t.Fatalf("failed requests: %v; want only the orphan delivery, with a foreign key error", failed)
	}
	for _, ev := range good {
		if _, err := s.Event(t.Context(), ev.ID); err != nil {
			t.Errorf("good event in the same batch: %v", err)
		}
	}
	if _, err := s.Delivery(t.Context(), "orphan"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("orphan delivery: %v, want ErrNotFound", err)
	}
	if st := s.Stats(); st.LastBatch != 3 {
		t.Errorf("last batch = %d, want 3", st.LastBatch)
	}
}

// TestIsolatedRollbackForgetsNotes: what a request noted for the end of its
// transaction (the dedup mark, a last success) goes when the request is
// rolled back alone.
func TestIsolatedRollbackForgetsNotes(t *testing.T) {
	t.Parallel()
	v, opts := newTestVFS(t)
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, opts)
	release := holdCommit(t, v, s, newEvent(0))
	errs := make(chan error, 2)
	go func() {
		errs <- s.admin(t.Context(), func(w *writer) error {
			w.dedupMark = 999
			w.noteSuccess("ghost", 1)
			return errors.New("failed after noting")
		})
	}()
	waitQueued(s, 1)
	go func() {
		_, err := s.Ingest(t.Context(), newEvent(1), routesTo("app"))
		errs <- err
	}()
	waitQueued(s, 2)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	var failed int
	for range 2 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d requests failed, want 1", failed)
	}
	stats, err := s.DestinationStats(t.Context(), t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stats {
		if st.Destination == "ghost" {
			t.Errorf("a rolled-back request's success was kept: %+v", st)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if mark, err := pragmaText(dedupConn(t, path), `SELECT rowid FROM mark`); err != nil || mark != "2" {
		t.Errorf("dedup mark = %s, %v; want 2, the last event stored", mark, err)
	}
}
