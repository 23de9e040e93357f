package bulk

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

// deadStore returns a SQLite store holding n events from source gh, each
// with a dead delivery to a and to b, and one event from other with a dead
// delivery to a.
func deadStore(t *testing.T, n int) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Now().Add(-time.Hour)
	add := func(source string, at time.Time, dests ...string) {
		ev := &event.Event{ID: event.NewID(), Source: source, Method: "POST", Header: http.Header{}, Body: []byte("{}"), ReceivedAt: at}
		var routes []store.Route
		for _, d := range dests {
			routes = append(routes, store.Route{Destination: d})
		}
		if _, err := st.Ingest(t.Context(), ev, routes); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		add("gh", t0.Add(time.Duration(i)*time.Millisecond), "a", "b")
	}
	add("other", t0.Add(time.Second), "a")
	for {
		ds, err := st.Lease(t.Context(), time.Now(), 1000, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			return st
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
}

// progressLog records Progress calls.
type progressLog [][3]int

func (p *progressLog) add(done, total, deliveries int) {
	*p = append(*p, [3]int{done, total, deliveries})
}

func TestRetryDeadInChunks(t *testing.T) {
	t.Parallel()
	st := deadStore(t, 1200)
	var log progressLog
	r, err := RetryDead(t.Context(), st, store.DeadFilter{Source: "gh", Destination: "b", After: "ignored", Limit: 3}, time.Now(), log.add)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Total: 1200, Done: 1200}); r != want {
		t.Errorf("result %+v, want %+v", r, want)
	}
	want := progressLog{{0, 1200, 0}, {500, 1200, 0}, {1000, 1200, 0}, {1200, 1200, 0}}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	if n, _ := st.CountDead(t.Context(), store.DeadFilter{}); n != 1201 {
		t.Errorf("%d dead left, want 1201 (every delivery to a)", n)
	}
	r, err = RetryDead(t.Context(), st, store.DeadFilter{Destination: "b"}, time.Now(), nil)
	if err != nil || r != (Result{}) {
		t.Errorf("retry of nothing: %+v, %v", r, err)
	}
}

func TestReplayInChunks(t *testing.T) {
	t.Parallel()
	st := deadStore(t, 600)
	now := time.Now()
	var log progressLog
	r, err := Replay(t.Context(), st, store.EventFilter{Source: "gh"}, []string{"c"}, now, log.add)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Total: 600, Done: 600, Deliveries: 600}); r != want {
		t.Errorf("result %+v, want %+v", r, want)
	}
	want := progressLog{{0, 600, 0}, {500, 600, 500}, {600, 600, 600}}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Destination: "c", Limit: 10000})
	if err != nil || len(ds) != 600 {
		t.Errorf("%d deliveries to c, %v; want 600", len(ds), err)
	}
	// To the destinations each event had: the one event from other, to a.
	r, err = Replay(t.Context(), st, store.EventFilter{Source: "other"}, nil, now, nil)
	if want := (Result{Total: 1, Done: 1, Deliveries: 1}); err != nil || r != want {
		t.Errorf("replay of other: %+v, %v; want %+v", r, err, want)
	}
}

func TestReplayWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ until, want time.Time }{
		{time.Time{}, now},
		{now.Add(time.Hour), now},
		{now.Add(-time.Hour), now.Add(-time.Hour)},
	} {
		got := ReplayWindow(store.EventFilter{Until: tt.until, After: "x", Limit: 9}, now)
		if !got.Until.Equal(tt.want) || got.After != "" || got.Limit != 0 {
			t.Errorf("ReplayWindow(until %v) = %+v, want until %v and no cursor", tt.until, got, tt.want)
		}
	}
}
