package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/api/apitest"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// runAPICmd runs cmd with args against s's API with token, and returns
// its stdout and error.
func runAPICmd(t *testing.T, s *apitest.Server, token string, newCmd func(*env) *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var stdout bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"HOOKGATE_URL": s.URL, "HOOKGATE_TOKEN": token}[k]
	}
	e := &env{getenv: getenv, stdin: strings.NewReader(""), stdout: &stdout, stderr: io.Discard}
	cmd := newCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(t.Context())
	return stdout.String(), err
}

// deadFixture is a running API whose store holds n events from gh with
// dead deliveries to a and b, and one from other with a dead delivery to
// a; the sink answers 200 from then on.
type deadFixture struct {
	s      *apitest.Server
	events []string // gh's, oldest first
	other  string
}

func newDeadFixture(t *testing.T, n int) *deadFixture {
	t.Helper()
	s := apitest.Start(t, apitest.Options{Sources: []string{"gh", "other"}, Destinations: []string{"a", "b"}})
	s.Sink.Fail(true)
	f := &deadFixture{s: s}
	for range n {
		f.events = append(f.events, s.Ingest(t, &event.Event{Source: "gh", Header: http.Header{}, Body: []byte("{}")}, "a", "b"))
	}
	f.other = s.Ingest(t, &event.Event{Source: "other", Header: http.Header{}, Body: []byte("{}")}, "a")
	s.WaitDeliveries(t, store.DeliveryFilter{State: event.Dead}, 2*n+1)
	s.Sink.Fail(false)
	return f
}

func (f *deadFixture) run(t *testing.T, newCmd func(*env) *cobra.Command, args ...string) (string, error) {
	t.Helper()
	return runAPICmd(t, f.s, apitest.AdminToken, newCmd, args...)
}

// `dead retry --all` with filters retries exactly the matching dead
// deliveries, as a job over several chunks, which are then delivered.
func TestDeadRetryAll(t *testing.T) {
	t.Parallel()
	f := newDeadFixture(t, 600)
	out, err := f.run(t, newDeadCmd, "retry", "--all", "--source", "gh", "--destination", "b", "--dry-run")
	if err != nil || out != "600 dead deliveries match\n" {
		t.Fatalf("dry run: %q, %v", out, err)
	}
	out, err = f.run(t, newDeadCmd, "retry", "--all", "--source", "gh", "--destination", "b")
	if err != nil || out != "retried 600 dead deliveries\n" {
		t.Fatalf("retry --all: %q, %v", out, err)
	}
	f.s.WaitDeliveries(t, store.DeliveryFilter{Destination: "b", State: event.Succeeded}, 600)
	f.s.WaitDeliveries(t, store.DeliveryFilter{Destination: "a", State: event.Dead}, 601)
	d, err := f.s.Store.Deliveries(t.Context(), store.DeliveryFilter{Destination: "b", Limit: 1})
	if err != nil || d[0].AttemptBase != 1 || d[0].Attempts != 2 || d[0].RetriedAt.IsZero() {
		t.Errorf("retried delivery %+v, %v; want a fresh budget and a second attempt", d, err)
	}
}

func TestDeadRetryArgs(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	for _, args := range [][]string{
		{"retry"},
		{"retry", "--all", "some-id"},
		{"retry", "--source", "gh", "some-id"},
		{"retry", "--all", "--since", "yesterday"},
	} {
		if _, err := runAPICmd(t, s, apitest.AdminToken, newDeadCmd, args...); err == nil {
			t.Errorf("dead %v succeeded, want an error", args)
		}
	}
}

// `dead ls`, `dead retry ID` and `dead discard ID` work by id, and report
// the API's refusals with their status.
func TestDeadByID(t *testing.T) {
	t.Parallel()
	f := newDeadFixture(t, 1)
	out, err := f.run(t, newDeadCmd, "ls", "--source", "other", "--json")
	var list api.DeliveryList
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list.Deliveries) != 1 || list.Deliveries[0].EventID != f.other {
		t.Fatalf("dead ls --source other --json: %v\n%s", err, out)
	}
	other := list.Deliveries[0].ID
	out, err = f.run(t, newDeadCmd, "ls")
	if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(out, other) || !strings.HasPrefix(out, "DELIVERY ") {
		t.Errorf("dead ls: %v\n%s", err, out)
	}
	out, err = f.run(t, newDeadCmd, "discard", other, "nope")
	if err == nil || err.Error() != "404: no delivery with id nope" || out != "discarded "+other+"\n" {
		t.Errorf("discard: %q, %v", out, err)
	}
	if _, err := f.run(t, newDeadCmd, "retry", other); err == nil || !strings.HasPrefix(err.Error(), "409: ") {
		t.Errorf("retry of a discarded delivery: %v, want a 409", err)
	}
	ds, _ := f.s.Store.Deliveries(t.Context(), store.DeliveryFilter{EventID: f.events[0], Destination: "a"})
	out, err = f.run(t, newDeadCmd, "retry", ds[0].ID)
	if err != nil || out != "retried "+ds[0].ID+"\n" {
		t.Errorf("retry: %q, %v", out, err)
	}
	f.s.WaitDeliveries(t, store.DeliveryFilter{EventID: f.events[0], State: event.Succeeded}, 1)
}

func TestReplayCommand(t *testing.T) {
	t.Parallel()
	f := newDeadFixture(t, 3)
	out, err := f.run(t, newReplayCmd, f.events[0], f.other)
	want := fmt.Sprintf("replayed %s to a, b\nreplayed %s to a\n", f.events[0], f.other)
	if err != nil || out != want {
		t.Errorf("replay by id: %v\n%s", err, cmp.Diff(want, out))
	}
	out, err = f.run(t, newReplayCmd, "--source", "gh", "--to", "b", "--dry-run")
	if err != nil || out != "3 events match\n" {
		t.Errorf("replay --dry-run: %q, %v", out, err)
	}
	out, err = f.run(t, newReplayCmd, "--source", "gh", "--to", "b")
	if err != nil || out != "replayed 3 events: 3 new deliveries\n" {
		t.Errorf("replay --source: %q, %v", out, err)
	}
	// By id to b, then --to b: two new deliveries of the first event to b.
	f.s.WaitDeliveries(t, store.DeliveryFilter{EventID: f.events[0], Destination: "b", State: event.Succeeded}, 2)
	if _, err := f.run(t, newReplayCmd, "--source", "gh", "--to", "nowhere"); err == nil ||
		err.Error() != "400: destinations: no destination named nowhere (have a, b)" {
		t.Errorf("replay to an unknown destination: %v", err)
	}
	if _, err := f.run(t, newReplayCmd); err == nil {
		t.Error("replay with neither ids nor filters succeeded")
	}
	if _, err := f.run(t, newReplayCmd, "--source", "gh", f.other); err == nil {
		t.Error("replay with ids and filters succeeded")
	}
	id := event.NewID()
	if _, err := f.run(t, newReplayCmd, id); err == nil || err.Error() != "404: no event with id "+id {
		t.Errorf("replay of an unknown event: %v", err)
	}
}

// `events ls` and `events show` print events, redacted, and their
// deliveries; `deliveries show` prints the attempts.
func TestEventsAndDeliveriesCommands(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a"}})
	s.Sink.Fail(true)
	id := s.Ingest(t, &event.Event{Source: "gh", Type: "push", Header: http.Header{"X-Hub-Signature-256": {"sha256=abc"}, "Content-Type": {"application/json"}},
		Body: []byte(`{"ref":"main"}`)}, "a")
	s.WaitDeliveries(t, store.DeliveryFilter{EventID: id, State: event.Dead}, 1)
	for range 3 {
		s.Ingest(t, &event.Event{Source: "x", Header: http.Header{}, Body: []byte("{}")})
	}
	run := func(newCmd func(*env) *cobra.Command, args ...string) string {
		t.Helper()
		out, err := runAPICmd(t, s, apitest.ReadToken, newCmd, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	out := run(newEventsCmd, "ls", "--source", "gh")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], id) || !strings.Contains(lines[1], "push") ||
		!strings.HasSuffix(lines[1], "dead:1") {
		t.Errorf("events ls --source gh:\n%s", out)
	}
	out = run(newEventsCmd, "ls", "--limit", "2")
	var page api.EventPage
	json.Unmarshal([]byte(run(newEventsCmd, "ls", "--limit", "2", "--json")), &page)
	if len(page.Events) != 2 || page.Next == "" || !strings.HasSuffix(out, "more: --cursor "+page.Next+"\n") {
		t.Errorf("events ls --limit 2:\n%s", out)
	}
	out = run(newEventsCmd, "show", id)
	for _, part := range []string{"event        " + id, "X-Hub-Signature-256: [redacted]", "Content-Type: application/json", "body (utf-8):\n{\"ref\":\"main\"}", "  dead  "} {
		if !strings.Contains(out, part) {
			t.Errorf("events show: no %q in\n%s", part, out)
		}
	}
	var ds api.DeliveryList
	json.Unmarshal([]byte(run(newDeliveriesCmd, "ls", "--event", id, "--json")), &ds)
	if len(ds.Deliveries) != 1 {
		t.Fatalf("deliveries ls --event: %+v", ds)
	}
	out = run(newDeliveriesCmd, "show", ds.Deliveries[0].ID)
	for _, part := range []string{"state         dead", "attempt 1  ", "status 500  -> dead", "  > POST " + s.Sink.URL + "/a", "  < 500", "  < X-Api-Key: [redacted]", "  < (utf-8) down for a test"} {
		if !strings.Contains(out, part) {
			t.Errorf("deliveries show: no %q in\n%s", part, out)
		}
	}
	out = run(newStatsCmd)
	for _, part := range []string{"events        4\n", "dead          1\n", "destinations  1 (0 paused, 0 with an open circuit)\n"} {
		if !strings.Contains(out, part) {
			t.Errorf("stats: no %q in\n%s", part, out)
		}
	}
}

// Errors from the API are printed as "hookgate: STATUS: message" with a
// non-zero exit, whole commands run through Run.
func TestAPIErrorOutput(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	for _, tt := range []struct {
		token string
		args  []string
		want  string
	}{
		{"wrong-token-0123456789", []string{"stats"}, "hookgate: 401: unknown token\n"},
		{apitest.ReadToken, []string{"dead", "retry", "--all"}, "hookgate: 403: this needs a token of scope admin; token ci has scope read\n"},
		{apitest.ReadToken, []string{"events", "ls", "--status", "lost"}, "hookgate: 400: status: unknown state \"lost\" (want pending, succeeded, dead or discarded)\n"},
		{"", []string{"stats"}, "hookgate: no API token: give --token or set HOOKGATE_TOKEN (a token from the gateway's api.tokens)\n"},
		{apitest.ReadToken, []string{"stats", "--gateway", "ftp://x"}, "hookgate: --gateway \"ftp://x\": want an http or https URL such as http://127.0.0.1:8080\n"},
	} {
		var stdout, stderr bytes.Buffer
		getenv := func(k string) string {
			return map[string]string{"HOOKGATE_URL": s.URL, "HOOKGATE_TOKEN": tt.token}[k]
		}
		code := Run(context.Background(), tt.args, getenv, strings.NewReader(""), &stdout, &stderr)
		if code == 0 || stderr.String() != tt.want {
			t.Errorf("%v: exit %d, stderr %q; want non-zero and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
	// --token on the command line wins over the environment.
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return map[string]string{"HOOKGATE_URL": s.URL, "HOOKGATE_TOKEN": "wrong"}[k] }
	if code := Run(context.Background(), []string{"stats", "--token", apitest.ReadToken}, getenv, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Errorf("stats --token: exit %d: %s", code, stderr.String())
	}
}
