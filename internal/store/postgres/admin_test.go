package postgres

import (
	"strconv"
	"testing"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
)

// A database at schema version 1, with a dead delivery, is upgraded in
// place: the delivery can be discarded, its attempts read with empty
// records, and its event replayed next to it.
func TestUpgradeFromVersion1(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	at := strconv.FormatInt(nanos(t0), 10)
	exec(t, dsn, ms[0].SQL+`;
		CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL);
		INSERT INTO schema_migrations VALUES (1, 'init', 0);
		INSERT INTO events (id, source, delivery_id, type, method, received_at, query, headers, body)
			VALUES ('ev', 'github', '', 'push', 'POST', `+at+`, '', '{}', '\x7b7d');
		INSERT INTO deliveries (id, event_id, destination, state, attempts, next_at, created_at, updated_at, last_error, lease)
			VALUES ('dl', 'ev', 'app', 'dead', 1, `+at+`, `+at+`, `+at+`, 'status 500', '');
		INSERT INTO attempts (delivery_id, n, id, started_at, duration, status, error, outcome, response)
			VALUES ('dl', 1, 'a1', `+at+`, 5, 500, 'status 500', 'dead', '')`)
	s := open(t, dsn, Options{})

	d, err := s.Delivery(t.Context(), "dl")
	if err != nil || d.State != event.Dead || d.AttemptBase != 0 || !d.RetriedAt.IsZero() {
		t.Fatalf("Delivery after the upgrade = %+v, %v; want dead, base 0, never retried", d, err)
	}
	as, err := s.Attempts(t.Context(), "dl")
	if err != nil || len(as) != 1 || as[0].Request.Method != "" || as[0].ResponseHeader != nil {
		t.Fatalf("Attempts after the upgrade = %+v, %v; want one, with no record", as, err)
	}
	ds, err := s.Replay(t.Context(), "ev", nil, t0)
	if err != nil || len(ds) != 1 || ds[0].Destination != "app" {
		t.Fatalf("Replay = %+v, %v; want one new delivery to app", ds, err)
	}
	if err := s.Discard(t.Context(), "dl", t0); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	if n, err := s.CountDead(t.Context(), store.DeadFilter{}); err != nil || n != 0 {
		t.Errorf("CountDead = %d, %v; want 0", n, err)
	}
}
