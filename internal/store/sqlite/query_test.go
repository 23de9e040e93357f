package sqlite

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// fullScan matches a plan step that reads a whole table or index: a SCAN
// of a table of the schema that is not bounded by a page (LIMIT) or by the
// rows of a range.
var fullScan = regexp.MustCompile(`^SCAN (e|events|d|deliveries|r|x|rejections|attempts)\b`)

// The read side stays off whole-table scans: each statement uses the index
// named, and scans a whole table only where ORDER BY id DESC LIMIT stops it
// at the page's end (listings without an indexed filter).
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), Options{})
	defer s.Close()
	now := time.Now()
	listing := func(q store.EventQuery) string { return listingQuery(q).sql.String() }
	tests := []struct {
		name string
		sql  string
		uses []string // indexes the plan must use
		page bool     // a page: may scan the id index, newest first, until LIMIT
	}{
		{"listing", listing(store.EventQuery{}), nil, true},
		{"listing by source", listing(store.EventQuery{Source: "github", Before: "x"}), []string{"events_source (source=? AND id<?)"}, false},
		{"listing by type", listing(store.EventQuery{Type: "push"}), nil, true},
		{"listing by time", listing(store.EventQuery{Since: now, Until: now}), []string{"events_received"}, false},
		{"listing dead", listing(store.EventQuery{State: event.Dead, Before: "x"}), []string{"deliveries_open (state=? AND event_id<?)"}, false},
		{"listing dead by source", listing(store.EventQuery{State: event.Dead, Source: "github"}), []string{"deliveries_open (state=?)"}, false},
		{"listing succeeded", listing(store.EventQuery{State: event.Succeeded}), []string{"deliveries_event (event_id=?)"}, true},
		{"listing by text", listing(store.EventQuery{Text: "needle", Source: "github"}), []string{"events_source"}, false},
		{"delivery counts", `SELECT event_id, state, count(*) FROM deliveries
			WHERE event_id IN (SELECT value FROM json_each(?1)) GROUP BY event_id, state`, []string{"deliveries_event (event_id=?)"}, false},
		{"source stats", sourceStatsSQL, []string{"events_received (received_at>?)", "rejections_received (received_at>?)",
			"events_source (source>?)", "rejections_source (source>?)"}, false},
		{"destination stats", destinationStatsSQL, []string{"deliveries_due (destination=? AND next_at<?)",
			"deliveries_destination (destination>?)", "deliveries_destination (destination=? AND state=?)"}, false},
		{"lease to a destination", `SELECT ` + deliveryCols + ` FROM deliveries d
			WHERE d.destination = ?3 AND ` + dueWhere + ` ORDER BY next_at, id LIMIT ?2`,
			[]string{"deliveries_due (destination=? AND next_at<?)"}, false},
		{"pending destinations", pendingDestinationsSQL, []string{"deliveries_due (destination>?)"}, false},
		{"purge", purgeCandidates, []string{"events_received (received_at<?)", "deliveries_event (event_id=?)"}, false},
	}
	for _, tt := range tests {
		var plan []string
		err := s.read(t.Context(), func(c *readConn) error {
			st, _, err := c.conn.Prepare("EXPLAIN QUERY PLAN " + tt.sql)
			if err != nil {
				return err
			}
			defer st.Close()
			for st.Step() {
				plan = append(plan, st.ColumnText(3))
			}
			return st.Err()
		})
		if err != nil {
			t.Fatalf("%s: EXPLAIN: %v", tt.name, err)
		}
		all := strings.Join(plan, "\n")
		for _, step := range plan {
			if fullScan.MatchString(step) && !(tt.page && strings.Contains(step, "sqlite_autoindex_events_1")) {
				t.Errorf("%s: plan scans a whole table: %q\n%s", tt.name, step, all)
			}
		}
		for _, idx := range tt.uses {
			if !strings.Contains(all, idx) {
				t.Errorf("%s: plan does not use %s:\n%s", tt.name, idx, all)
			}
		}
	}
}
