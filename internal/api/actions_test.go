package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/api/apitest"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/internal/store"
)

// ingestDead stores n events from source to dests and waits until their
// deliveries are dead (the sink fails while it runs).
func ingestDead(t *testing.T, s *apitest.Server, source string, n int, dests ...string) []string {
	t.Helper()
	s.Sink.Fail(true)
	var ids []string
	for range n {
		ids = append(ids, s.Ingest(t, &event.Event{Source: source, Header: http.Header{}, Body: []byte(`{"n":1}`)}, dests...))
	}
	for _, id := range ids {
		s.WaitDeliveries(t, store.DeliveryFilter{EventID: id, State: event.Dead}, len(dests))
	}
	s.Sink.Fail(false)
	return ids
}

// A dead delivery's attempts show what was sent and the answer (secrets
// redacted); retrying it by id delivers it; retrying or discarding what is
// not dead is a conflict; discarding keeps it for the record.
func TestDeliveryActions(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a"}})
	ids := ingestDead(t, s, "gh", 2, "a")
	c := newClient(t, s, apitest.AdminToken)
	var list api.DeliveryList
	c.do("GET", "/events/"+ids[0]+"/deliveries", nil, http.StatusOK, &list)
	if len(list.Deliveries) != 1 || list.Deliveries[0].State != event.Dead || list.Deliveries[0].Attempts != 1 {
		t.Fatalf("deliveries of the first event: %+v", list.Deliveries)
	}
	d := list.Deliveries[0]

	var atts api.AttemptList
	c.do("GET", "/deliveries/"+d.ID+"/attempts", nil, http.StatusOK, &atts)
	if len(atts.Attempts) != 1 {
		t.Fatalf("attempts: %+v", atts)
	}
	a := atts.Attempts[0]
	if a.N != 1 || a.Outcome != event.Dead || a.Request.Method != "POST" || a.Request.URL != s.Sink.URL+"/a" ||
		a.Response == nil || a.Response.Status != 500 || a.Response.Body.Body != "down for a test\n" ||
		a.Response.Headers.Get("X-Api-Key") != redact.Mask || a.Request.Headers.Get("Webhook-Id") != ids[0] {
		t.Errorf("attempt: %+v (response %+v)", a, a.Response)
	}

	var got api.Delivery
	c.do("POST", "/deliveries/"+d.ID+"/retry", nil, http.StatusOK, &got)
	if got.State != event.Pending || got.AttemptBase != 1 || got.RetriedAt == nil {
		t.Errorf("retried delivery: %+v, want pending with a fresh budget", got)
	}
	s.WaitDeliveries(t, store.DeliveryFilter{EventID: ids[0], State: event.Succeeded}, 1)
	c.fails("POST", "/deliveries/"+d.ID+"/retry", nil, http.StatusConflict, "is succeeded; only dead deliveries can be retried")
	c.fails("POST", "/deliveries/"+d.ID+"/discard", nil, http.StatusConflict, "only dead and pending deliveries can be discarded")

	c.do("GET", "/deliveries?event="+ids[1], nil, http.StatusOK, &list)
	c.do("POST", "/deliveries/"+list.Deliveries[0].ID+"/discard", nil, http.StatusOK, &got)
	if got.State != event.Discarded {
		t.Errorf("discarded delivery: %+v", got)
	}
	c.do("GET", "/deliveries/"+got.ID, nil, http.StatusOK, &got)
	if got.State != event.Discarded || got.Attempts != 1 {
		t.Errorf("GET discarded delivery: %+v", got)
	}
	unknown := event.NewID()
	c.fails("POST", "/deliveries/"+unknown+"/retry", nil, http.StatusNotFound, "no delivery with id "+unknown)
	c.fails("GET", "/deliveries/"+unknown+"/attempts", nil, http.StatusNotFound, "no delivery with id")
}

// Replaying an event creates a delivery, which the worker delivers.
func TestReplayEvent(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a", "b"}})
	id := s.Ingest(t, &event.Event{Source: "gh", Header: http.Header{}, Body: []byte("{}")}, "a")
	s.WaitDeliveries(t, store.DeliveryFilter{EventID: id, State: event.Succeeded}, 1)
	c := newClient(t, s, apitest.AdminToken)
	var list api.DeliveryList
	c.do("POST", "/events/"+id+"/replay", api.ReplayRequest{Destinations: []string{"b"}}, http.StatusCreated, &list)
	if len(list.Deliveries) != 1 || list.Deliveries[0].Destination != "b" || list.Deliveries[0].State != event.Pending {
		t.Fatalf("replay to b: %+v", list)
	}
	c.do("POST", "/events/"+id+"/replay", nil, http.StatusCreated, &list) // to every destination it had: a and now b
	if len(list.Deliveries) != 2 || list.Deliveries[0].Destination != "a" || list.Deliveries[1].Destination != "b" {
		t.Fatalf("replay to its destinations: %+v", list)
	}
	s.WaitDeliveries(t, store.DeliveryFilter{EventID: id, State: event.Succeeded}, 4)
	waitFor(t, "the sink to get the replays", func() bool { return s.Sink.Count("a") == 2 && s.Sink.Count("b") == 2 })
	c.fails("POST", "/events/"+event.NewID()+"/replay", nil, http.StatusNotFound, "no event with id")
}

// pollJob waits for a job to finish and returns it.
func pollJob(t *testing.T, c client, id string) api.Job {
	t.Helper()
	var j api.Job
	waitFor(t, "job "+id, func() bool {
		c.do("GET", "/jobs/"+id, nil, http.StatusOK, &j)
		return j.State != api.JobRunning
	})
	return j
}

// A bulk retry by filter runs as a job that retries exactly the matching
// dead deliveries, which the worker then delivers.
func TestBulkRetryJob(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a", "b"}})
	ingestDead(t, s, "gh", 30, "a", "b")
	ingestDead(t, s, "other", 3, "a")
	c := newClient(t, s, apitest.AdminToken)
	var m api.Matched
	c.do("POST", "/dead/retry", api.DeadRetryRequest{Source: "gh", Destination: "a", DryRun: true}, http.StatusOK, &m)
	if m.Matched != 30 {
		t.Errorf("dry run matched %d, want 30", m.Matched)
	}
	status, h, b := c.call("POST", "/dead/retry", api.DeadRetryRequest{Source: "gh", Destination: "a"})
	if status != http.StatusAccepted {
		t.Fatalf("POST /dead/retry: %d %s", status, b)
	}
	var started api.Job
	c.do("GET", h.Get("Location")[len(api.Prefix):], nil, http.StatusOK, &started)
	j := pollJob(t, c, started.ID)
	if j.State != api.JobSucceeded || j.Total != 30 || j.Done != 30 || j.Kind != "retry_dead" || j.FinishedAt == nil {
		t.Errorf("job: %+v, want succeeded with 30 of 30", j)
	}
	s.WaitDeliveries(t, store.DeliveryFilter{Destination: "a", State: event.Succeeded}, 30)
	if n, _ := s.Store.CountDead(context.Background(), store.DeadFilter{}); n != 33 {
		t.Errorf("%d dead left, want 33 (gh's to b, other's to a)", n)
	}
	c.fails("GET", "/jobs/"+event.NewID(), nil, http.StatusNotFound, "no job with id")
}

// A bulk replay by filter creates one delivery per matching event.
func TestBulkReplayJob(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a", "b"}})
	for range 12 {
		s.Ingest(t, &event.Event{Source: "gh", Type: "push", Header: http.Header{}, Body: []byte("{}")}, "a")
	}
	s.Ingest(t, &event.Event{Source: "gh", Type: "issues", Header: http.Header{}, Body: []byte("{}")}, "a")
	c := newClient(t, s, apitest.AdminToken)
	var j api.Job
	c.do("POST", "/replay", api.BulkReplayRequest{Source: "gh", Type: "push", Destinations: []string{"b"}}, http.StatusAccepted, &j)
	j = pollJob(t, c, j.ID)
	if j.State != api.JobSucceeded || j.Total != 12 || j.Done != 12 || j.Deliveries != 12 {
		t.Errorf("job: %+v, want 12 events replayed, 12 deliveries", j)
	}
	s.WaitDeliveries(t, store.DeliveryFilter{Destination: "b", State: event.Succeeded}, 12)
}

// Pausing a destination holds its deliveries (shown in GET /destinations)
// until it is resumed.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a"}})
	c := newClient(t, s, apitest.AdminToken)
	var d api.DestinationView
	c.do("POST", "/destinations/a/pause", nil, http.StatusOK, &d)
	if !d.Paused || d.Name != "a" || d.Type != "http" {
		t.Errorf("paused: %+v", d)
	}
	id := s.Ingest(t, &event.Event{Source: "gh", Header: http.Header{}, Body: []byte("{}")}, "a")
	time.Sleep(200 * time.Millisecond) // room for a wrong delivery to happen
	if n := s.Sink.Count("a"); n != 0 {
		t.Fatalf("paused destination got %d requests", n)
	}
	var list struct{ Destinations []api.DestinationView }
	c.do("GET", "/destinations", nil, http.StatusOK, &list)
	if len(list.Destinations) != 1 || !list.Destinations[0].Paused || list.Destinations[0].Pending != 1 || !list.Destinations[0].Configured {
		t.Errorf("destinations while paused: %+v", list.Destinations)
	}
	c.do("POST", "/destinations/a/resume", nil, http.StatusOK, &d)
	if d.Paused {
		t.Errorf("resumed: %+v", d)
	}
	s.WaitDeliveries(t, store.DeliveryFilter{EventID: id, State: event.Succeeded}, 1)
	c.fails("POST", "/destinations/nope/pause", nil, http.StatusNotFound, "no destination named nope")
}

// GET /sources merges configured sources with the store's counters, and
// GET /stats sums everything up.
func TestSourcesAndStats(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Sources: []string{"gh", "idle"}, Destinations: []string{"a"}})
	ingestDead(t, s, "gh", 2, "a")
	rej := event.Rejection{ID: event.NewID(), Source: "gh", ReceivedAt: time.Now().UTC().Truncate(time.Millisecond), Status: 401, Reason: "signature mismatch", RemoteAddr: "192.0.2.1:1"}
	if err := s.Store.Reject(context.Background(), rej); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, apitest.ReadToken)
	var list api.SourceList
	c.do("GET", "/sources", nil, http.StatusOK, &list)
	if len(list.Sources) != 2 {
		t.Fatalf("sources: %+v", list.Sources)
	}
	gh, idle := list.Sources[0], list.Sources[1]
	if gh.Name != "gh" || !gh.Configured || gh.Events != 2 || gh.LastEventAt == nil || gh.Rejections != 1 ||
		gh.LastRejection == nil || gh.LastRejection.Reason != "signature mismatch" {
		t.Errorf("gh: %+v", gh)
	}
	if idle != (api.Source{Name: "idle", Configured: true}) {
		t.Errorf("idle: %+v", idle)
	}
	var st api.Stats
	c.do("GET", "/stats", nil, http.StatusOK, &st)
	if st.Events != 2 || st.Rejections != 1 || st.Dead != 2 || st.Pending != 0 || st.Sources != 2 || st.Destinations != 1 {
		t.Errorf("stats: %+v", st)
	}
	c.do("GET", "/stats?since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), nil, http.StatusOK, &st)
	if st.Events != 0 || st.Dead != 2 {
		t.Errorf("stats since an hour ahead: %+v, want no events, still 2 dead", st)
	}
	var rs struct{ Rejections []api.Rejection }
	c.do("GET", "/rejections?limit=5", nil, http.StatusOK, &rs)
	if len(rs.Rejections) != 1 || rs.Rejections[0].ID != rej.ID {
		t.Errorf("rejections: %+v", rs)
	}
}

// GET /dead lists dead deliveries with the bulk retry's filters, by pages
// of events.
func TestDeadListing(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Destinations: []string{"a", "b"}})
	gh := ingestDead(t, s, "gh", 5, "a", "b")
	other := ingestDead(t, s, "other", 1, "a")
	c := newClient(t, s, apitest.ReadToken)
	eventsOf := func(ds []api.Delivery) []string {
		var ids []string
		for _, d := range ds {
			if len(ids) == 0 || ids[len(ids)-1] != d.EventID {
				ids = append(ids, d.EventID)
			}
		}
		return ids
	}
	var list api.DeliveryList
	c.do("GET", "/dead?source=gh&destination=b", nil, http.StatusOK, &list)
	want := slices.Clone(gh)
	slices.Reverse(want)
	if diff := cmp.Diff(want, eventsOf(list.Deliveries)); diff != "" || len(list.Deliveries) != 5 || list.Next != "" {
		t.Errorf("dead to b from gh (-want +got):\n%s\n%+v", diff, list)
	}
	var all []api.Delivery
	cursor := ""
	for range 10 {
		c.do("GET", "/dead?limit=2&cursor="+cursor, nil, http.StatusOK, &list)
		all = append(all, list.Deliveries...)
		if cursor = list.Next; cursor == "" {
			break
		}
	}
	if len(all) != 11 {
		t.Errorf("%d dead deliveries over all pages, want 11", len(all))
	}
	c.do("GET", "/dead?event="+other[0], nil, http.StatusOK, &list)
	if len(list.Deliveries) != 1 || list.Deliveries[0].Destination != "a" {
		t.Errorf("dead of one event: %+v", list)
	}
}

// POST /reload calls the dependency: its refusal is a 422 with the reason.
func TestReload(t *testing.T) {
	t.Parallel()
	var calls int
	s := apitest.Start(t, apitest.Options{Reload: func(ctx context.Context) error {
		calls++
		if calls == 1 {
			return errors.New("hookgate.yaml:3: sources[0].provider: required")
		}
		return nil
	}})
	c := newClient(t, s, apitest.AdminToken)
	c.fails("POST", "/reload", nil, http.StatusUnprocessableEntity, "hookgate.yaml:3: sources[0].provider: required")
	var ok map[string]string
	c.do("POST", "/reload", nil, http.StatusOK, &ok)
	if ok["status"] != "reloaded" || calls != 2 {
		t.Errorf("reload: %v after %d calls", ok, calls)
	}
	without := apitest.Start(t, apitest.Options{})
	newClient(t, without, apitest.AdminToken).fails("POST", "/reload", nil, http.StatusNotImplemented, "cannot reload")
}
