package sqlite

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/store"
)

// ingestDelivery stores an event with the given provider delivery id and
// returns what Ingest answered.
func ingestDelivery(t *testing.T, s *Store, i int, deliveryID string) store.IngestResult {
	t.Helper()
	ev := newEvent(i)
	ev.DeliveryID = deliveryID
	res, err := s.Ingest(t.Context(), ev, routesTo("app"))
	if err != nil {
		t.Fatalf("Ingest %s: %v", deliveryID, err)
	}
	return res
}

// dedupConn opens the dedup file of the database at path on its own, as
// the sqlite3 shell would, to play what a power loss can leave behind.
func dedupConn(t *testing.T, path string) *sqlite3.Conn {
	t.Helper()
	c, err := sqlite3.Open(dedupPath(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func countKeys(t *testing.T, c *sqlite3.Conn) int {
	t.Helper()
	n, err := pragmaText(c, `SELECT count(*) FROM keys`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkDuplicates re-sends each delivery id in want and checks it is found
// as the duplicate of the event it names.
func checkDuplicates(t *testing.T, s *Store, want map[string]string) {
	t.Helper()
	for d, id := range want {
		res := ingestDelivery(t, s, 99, d)
		if !res.Duplicate || res.EventID != id {
			t.Errorf("retry of %s = %+v, want the duplicate of %s", d, res, id)
		}
	}
}

func TestDedupSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	want := map[string]string{}
	for i, d := range []string{"a", "b", "c"} {
		want[d] = ingestDelivery(t, s, i, d).EventID
	}
	// Same delivery id, other source: not a duplicate.
	ev := newEvent(7)
	ev.Source, ev.DeliveryID = "stripe", "a"
	if res, err := s.Ingest(t.Context(), ev, nil); err != nil || res.Duplicate {
		t.Fatalf("same delivery id from another source = %+v, %v; want stored", res, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, Options{})
	defer s.Close()
	checkDuplicates(t, s, want)
}

// TestDedupRebuilt deletes the dedup file (a backup restored without it, an
// upgrade from a hookgate that kept the index in the database): Open
// rebuilds it from the events.
func TestDedupRebuilt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	want := map[string]string{}
	for i, d := range []string{"a", "b", "c", "d"} {
		want[d] = ingestDelivery(t, s, i, d).EventID
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dedupPath(path) + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	s = open(t, path, Options{})
	defer s.Close()
	checkDuplicates(t, s, want)
}

// TestDedupLostTail plays a power loss that kept the database's last commits
// (they are fsynced) but not the dedup file's (they are not): entries gone
// and the mark back. Open indexes the events past the mark again.
func TestDedupLostTail(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	want := map[string]string{}
	for i, d := range []string{"a", "b", "c", "d", "e"} {
		want[d] = ingestDelivery(t, s, i, d).EventID
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c := dedupConn(t, path)
	if err := c.Exec(`DELETE FROM keys WHERE event_rowid > 2; UPDATE mark SET rowid = 2`); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, c); n != 2 {
		t.Fatalf("%d keys left, want 2", n)
	}
	s = open(t, path, Options{})
	defer s.Close()
	checkDuplicates(t, s, want)
	if n := countKeys(t, c); n != 5 {
		t.Errorf("%d keys after Open, want 5", n)
	}
}

// TestDedupStaleEntries plays the other side of a loss, entries whose event
// is not there or is another event (and a hash collision, which looks the
// same): none may make a new event a duplicate.
func TestDedupStaleEntries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	other := ingestDelivery(t, s, 1, "other") // rowid 1
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c := dedupConn(t, path)
	st, _, err := c.Prepare(`INSERT INTO keys (h, event_rowid) VALUES (?1, 1), (?1, 42)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.BindInt64(1, dedupHash("github", "fresh")); err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	s = open(t, path, Options{})
	defer s.Close()
	res := ingestDelivery(t, s, 2, "fresh")
	if res.Duplicate {
		t.Fatalf("fresh delivery id matched a stale entry: %+v (other event %s)", res, other.EventID)
	}
	checkDuplicates(t, s, map[string]string{"fresh": res.EventID, "other": other.EventID})
}

// TestDedupPurged checks that Purge removes the purged events' entries,
// and that a delivery id whose event is gone is stored anew.
func TestDedupPurged(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	defer s.Close()
	for i, d := range []string{"a", "b", "c"} {
		ev := newEvent(i)
		ev.DeliveryID = d
		if _, err := s.Ingest(t.Context(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	n, _, err := s.Purge(t.Context(), store.Retention{Before: t0.Add(time.Hour), Limit: 10})
	if err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3", n, err)
	}
	if k := countKeys(t, dedupConn(t, path)); k != 0 {
		t.Errorf("%d dedup entries after the purge, want 0", k)
	}
	if res := ingestDelivery(t, s, 5, "a"); res.Duplicate {
		t.Errorf("delivery id of a purged event = %+v, want stored anew", res)
	}
}

// TestUpgradeFromVersion5 opens a database of schema version 5, dedup index
// inside, with events and a succeeded delivery in it: the index is dropped
// and its entries move to the file (migration 6), and the destination's last
// success moves to destination_success (migration 7).
func TestUpgradeFromVersion5(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	c, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:5] {
		if err := c.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Exec(`PRAGMA user_version = 5;
		INSERT INTO events (id, source, delivery_id, type, method, received_at, query, headers, body)
			VALUES ('ev1', 'github', 'd1', 'push', 'POST', 1, '', '{}', x'7b7d'),
			       ('ev2', 'github', '', 'push', 'POST', 2, '', '{}', x'7b7d');
		INSERT INTO deliveries (id, event_id, destination, state, attempts, next_at, created_at, updated_at, last_error, lease)
			VALUES ('dl1', 'ev1', 'app', 'succeeded', 1, 3, 1, 7, '', ''),
			       ('dl2', 'ev2', 'app', 'succeeded', 1, 3, 2, 5, '', ''),
			       ('dl3', 'ev2', 'audit', 'pending', 0, 3, 2, 2, '', '');`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	s := open(t, path, Options{})
	defer s.Close()
	checkDuplicates(t, s, map[string]string{"d1": "ev1"})
	var idx string
	err = s.read(t.Context(), func(rc *readConn) (err error) {
		idx, err = pragmaText(rc.conn, `SELECT count(*) FROM sqlite_schema WHERE name = 'events_dedup'`)
		return err
	})
	if err != nil || idx != "0" {
		t.Errorf("events_dedup still there (%s, %v)", idx, err)
	}
	stats, err := s.DestinationStats(t.Context(), fromNanos(10))
	want := []store.DestinationStats{
		{Destination: "app", LastSuccessAt: fromNanos(7)},
		{Destination: "audit", Pending: 1, Due: 1, OldestDue: fromNanos(3)},
	}
	if err != nil || !reflect.DeepEqual(stats, want) {
		t.Errorf("DestinationStats after the upgrade = %+v, %v; want %+v", stats, err, want)
	}
}

// TestDedupMarkFollowsEveryEvent checks that events without a delivery id
// move the mark too, so the next Open reads nothing back.
func TestDedupMarkFollowsEveryEvent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	s := open(t, path, Options{})
	ingestDelivery(t, s, 0, "keyed")
	for i := range 5 {
		mustIngest(t, s, newEvent(i+1), "app") // no delivery id
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mark, err := pragmaText(dedupConn(t, path), `SELECT rowid FROM mark`)
	if err != nil || mark != "6" {
		t.Errorf("mark = %s, %v; want 6, the last event's rowid", mark, err)
	}
}
