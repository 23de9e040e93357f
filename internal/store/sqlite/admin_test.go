package sqlite

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ncruces/go-sqlite3"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// A database made by a hookgate of schema version 1, with a dead delivery,
// is upgraded in place: the delivery can be discarded (the widened CHECK
// holds on every connection, the writer's included), its attempts read
// with empty records, and its event replayed next to it.
func TestUpgradeFromVersion1(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	c, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := nanos(t0)
	err = c.Exec(schemaV1 + `;
		PRAGMA user_version = 1;
		INSERT INTO events (id, source, delivery_id, type, method, received_at, query, headers, body)
			VALUES ('ev', 'github', '', 'push', 'POST', ` + itoa(at) + `, '', '{}', x'7b7d');
		INSERT INTO deliveries (id, event_id, destination, state, attempts, next_at, created_at, updated_at, last_error, lease)
			VALUES ('dl', 'ev', 'app', 'dead', 1, ` + itoa(at) + `, ` + itoa(at) + `, ` + itoa(at) + `, 'status 500', '');
		INSERT INTO attempts (delivery_id, n, id, started_at, duration, status, error, outcome, response)
			VALUES ('dl', 1, 'a1', ` + itoa(at) + `, 5, 500, 'status 500', 'dead', x'');`)
	if err != nil {
		t.Fatal(err)
	}
	// A connection opened before the upgrade, as a CLI beside the gateway.
	if err := c.Exec(`SELECT count(*) FROM deliveries`); err != nil {
		t.Fatal(err)
	}
	s := open(t, path, Options{})
	defer s.Close()

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
	if err := c.Exec(`UPDATE deliveries SET state = 'discarded' WHERE id = 'dl'`); err != nil {
		t.Errorf("the older connection refuses 'discarded': %v", err)
	}
	if err := c.Exec(`UPDATE deliveries SET state = 'gone' WHERE id = 'dl'`); err == nil {
		t.Error("the CHECK constraint no longer holds")
	}
	c.Close()
	if n, err := s.CountDead(t.Context(), store.DeadFilter{}); err != nil || n != 0 {
		t.Errorf("CountDead = %d, %v; want 0", n, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
