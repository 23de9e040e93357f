package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

// bulkFixture is a config whose SQLite store holds, from source gh, n events
// to destinations a and b whose deliveries are all dead, and one event from
// source other to a, dead too.
type bulkFixture struct {
	cfg    string
	db     string
	events []string // gh's, oldest first
	other  string
}

func newBulkFixture(t *testing.T, n int) *bulkFixture {
	t.Helper()
	dir := t.TempDir()
	f := &bulkFixture{cfg: filepath.Join(dir, "hookgate.yaml"), db: filepath.Join(dir, "hookgate.db")}
	yml := fmt.Sprintf(`storage: { driver: sqlite, path: %q }
sources:
  - { name: gh, provider: github, secret: s }
  - { name: other, provider: github, secret: s }
destinations:
  - { name: a, type: log }
  - { name: b, type: log }
routes:
  - { from: [gh], to: [a, b] }
  - { from: [other], to: [a] }
`, f.db)
	if err := os.WriteFile(f.cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), f.db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now().Add(-time.Hour).UTC()
	add := func(source string, at time.Time, dests ...string) string {
		ev := &event.Event{Source: source, Method: "POST", Header: http.Header{}, Body: []byte("{}"), ReceivedAt: at, ID: event.NewID()}
		var routes []store.Route
		for _, d := range dests {
			routes = append(routes, store.Route{Destination: d})
		}
		if _, err := st.Ingest(t.Context(), ev, routes); err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	for i := range n {
		f.events = append(f.events, add("gh", t0.Add(time.Duration(i)*time.Millisecond), "a", "b"))
	}
	f.other = add("other", t0.Add(time.Second), "a")
	for {
		ds, err := st.Lease(t.Context(), time.Now(), 1000, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		var outs []store.Outcome
		for _, d := range ds {
			outs = append(outs, store.Outcome{DeliveryID: d.ID, Lease: d.Lease, State: event.Dead,
				Attempt: event.Attempt{N: 1, StartedAt: time.Now(), Status: 500}})
		}
		if err := st.Complete(t.Context(), outs); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// store opens the fixture's store for checks.
func (f *bulkFixture) store(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), f.db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// runCmd runs cmd with args and returns its stdout and error.
func runCmd(t *testing.T, newCmd func(*env) *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var stdout bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: io.Discard}
	cmd := newCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(t.Context())
	return stdout.String(), err
}

// states counts deliveries by state.
func states(t *testing.T, st store.Store, f store.DeliveryFilter) map[event.State]int {
	t.Helper()
	f.Limit = 100000
	ds, err := st.Deliveries(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	m := map[event.State]int{}
	for _, d := range ds {
		m[d.State]++
	}
	return m
}

func TestDeadRetryAll(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t, 1200)
	out, err := runCmd(t, newDeadCmd, "retry", "--all", "--source", "gh", "--destination", "b", "--dry-run", "--config", f.cfg)
	if err != nil || out != "1200 dead deliveries match\n" {
		t.Fatalf("dry run: %q, %v", out, err)
	}
	out, err = runCmd(t, newDeadCmd, "retry", "--all", "--source", "gh", "--destination", "b", "--config", f.cfg)
	want := "retrying 1200 dead deliveries\n500 of 1200\n1000 of 1200\n1200 of 1200\nretried 1200 dead deliveries\n"
	if err != nil || out != want {
		t.Fatalf("retry --all: %v\n%s", err, cmp.Diff(want, out))
	}
	st := f.store(t)
	if diff := cmp.Diff(map[event.State]int{event.Pending: 1200}, states(t, st, store.DeliveryFilter{Destination: "b"})); diff != "" {
		t.Errorf("deliveries to b (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[event.State]int{event.Dead: 1201}, states(t, st, store.DeliveryFilter{Destination: "a"})); diff != "" {
		t.Errorf("deliveries to a (-want +got):\n%s", diff)
	}
	ds, _ := st.Deliveries(t.Context(), store.DeliveryFilter{Destination: "b", Limit: 1})
	if d := ds[0]; d.AttemptBase != 1 || d.Attempts != 1 || d.RetriedAt.IsZero() {
		t.Errorf("retried delivery %+v, want a fresh budget", d)
	}
}

func TestDeadRetryArgs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"retry"},
		{"retry", "--all", "some-id"},
		{"retry", "--source", "gh", "some-id"},
		{"retry", "--all", "--since", "yesterday"},
	} {
		if _, err := runCmd(t, newDeadCmd, args...); err == nil {
			t.Errorf("dead %v succeeded, want an error", args)
		}
	}
}

func TestDeadDiscard(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t, 1)
	st := f.store(t)
	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{EventID: f.other})
	if err != nil || len(ds) != 1 {
		t.Fatalf("Deliveries = %v, %v", ds, err)
	}
	out, err := runCmd(t, newDeadCmd, "discard", "--config", f.cfg, ds[0].ID, "nope")
	if err == nil || !strings.Contains(err.Error(), "discard nope: no dead or pending delivery with this id") {
		t.Errorf("discard of an unknown id: %v", err)
	}
	if out != "discarded "+ds[0].ID+"\n" {
		t.Errorf("output %q", out)
	}
	if d, _ := st.Delivery(t.Context(), ds[0].ID); d.State != event.Discarded {
		t.Errorf("state %s, want discarded", d.State)
	}
}

func TestReplayCommand(t *testing.T) {
	t.Parallel()
	f := newBulkFixture(t, 3)
	out, err := runCmd(t, newReplayCmd, "--config", f.cfg, f.events[0], f.other)
	want := fmt.Sprintf("replayed %s to a, b\nreplayed %s to a\n", f.events[0], f.other)
	if err != nil || out != want {
		t.Errorf("replay by id: %v\n%s", err, cmp.Diff(want, out))
	}
	out, err = runCmd(t, newReplayCmd, "--config", f.cfg, "--source", "gh", "--to", "b")
	want = "replaying 3 events\n3 of 3\nreplayed 3 events: 3 new deliveries\n"
	if err != nil || out != want {
		t.Errorf("replay --source: %v\n%s", err, cmp.Diff(want, out))
	}
	st := f.store(t)
	wantStates := map[event.State]int{event.Dead: 1, event.Pending: 2} // by id to b, then --to b
	if diff := cmp.Diff(wantStates, states(t, st, store.DeliveryFilter{EventID: f.events[0], Destination: "b"})); diff != "" {
		t.Errorf("deliveries of the first event to b (-want +got):\n%s", diff)
	}
	if _, err := runCmd(t, newReplayCmd, "--config", f.cfg, "--source", "gh", "--to", "nowhere"); err == nil ||
		!strings.Contains(err.Error(), "--to nowhere: no such destination") {
		t.Errorf("replay to an unknown destination: %v", err)
	}
	if _, err := runCmd(t, newReplayCmd, "--config", f.cfg); err == nil {
		t.Error("replay with neither ids nor filters succeeded")
	}
	if _, err := runCmd(t, newReplayCmd, "--config", f.cfg, "--source", "gh", f.other); err == nil {
		t.Error("replay with ids and filters succeeded")
	}
	if _, err := runCmd(t, newReplayCmd, "--config", f.cfg, event.NewID()); err == nil || !strings.Contains(err.Error(), "no event with this id") {
		t.Errorf("replay of an unknown event: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-04-30T08:00:00Z", time.Date(2026, 4, 30, 8, 0, 0, 0, time.UTC)},
		{"2026-04-30T10:00:00+02:00", time.Date(2026, 4, 30, 8, 0, 0, 0, time.UTC)},
		{"2026-04-30", time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)},
		{"90m", now.Add(-90 * time.Minute)},
		{" 24h ", now.Add(-24 * time.Hour)},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5m", "2026-13-01"} {
		if _, err := parseTime(bad, now); err == nil {
			t.Errorf("parseTime(%q) succeeded", bad)
		}
	}
}
