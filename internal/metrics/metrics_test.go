package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/ingest"
	"github.com/hookgate/hookgate/internal/store"
)

// scrape fetches h's metrics in the text format and returns every sample
// as `name{label="value",...}` -> value (histograms as _count and _sum).
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := labels(m)
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name+key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name+key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+key] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func labels(m *dto.Metric) string {
	var ls []string
	for _, l := range m.GetLabel() {
		ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	slices.Sort(ls)
	return "{" + strings.Join(ls, ",") + "}"
}

func TestIngestRequests(t *testing.T) {
	t.Parallel()
	m := New(Options{Sources: []string{"github", "stripe"}, NoRuntime: true})
	m.Request("github", ingest.VerdictAccepted, 2*time.Millisecond)
	m.Request("github", ingest.VerdictAccepted, 4*time.Millisecond)
	m.Request("github", ingest.VerdictDuplicate, time.Millisecond)
	m.Request("github", ingest.VerdictRejected, time.Millisecond)
	m.Request("", ingest.VerdictNotFound, time.Millisecond)
	m.Request("late", ingest.VerdictTooLarge, time.Millisecond) // a source added by a reload
	got := scrape(t, m.Handler())

	tests := []struct {
		series string
		want   float64
	}{
		{`hookgate_ingest_requests_total{source="github",verdict="accepted"}`, 2},
		{`hookgate_ingest_requests_total{source="github",verdict="duplicate"}`, 1},
		{`hookgate_ingest_requests_total{source="github",verdict="rejected"}`, 1},
		{`hookgate_ingest_requests_total{source="github",verdict="unavailable"}`, 0},
		{`hookgate_ingest_requests_total{source="stripe",verdict="accepted"}`, 0},
		{`hookgate_ingest_requests_total{source="",verdict="not_found"}`, 1},
		{`hookgate_ingest_requests_total{source="late",verdict="too_large"}`, 1},
		{`hookgate_ingest_duration_seconds_count{source="github"}`, 4},
		{`hookgate_ingest_duration_seconds_sum{source="github"}`, 0.008},
		{`hookgate_ingest_duration_seconds_count{source="stripe"}`, 0},
	}
	for _, tt := range tests {
		v, ok := got[tt.series]
		if !ok {
			t.Errorf("%s: missing", tt.series)
			continue
		}
		if diff := v - tt.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", tt.series, v, tt.want)
		}
	}
	// Every verdict has a series for every configured source, at zero.
	for _, v := range ingest.Verdicts() {
		key := fmt.Sprintf(`hookgate_ingest_requests_total{source="stripe",verdict=%q}`, v.String())
		if _, ok := got[key]; !ok {
			t.Errorf("%s: missing", key)
		}
	}
	if _, ok := got["go_goroutines{}"]; ok {
		t.Error("NoRuntime: go_goroutines is there")
	}
}

func TestRuntimeCollectors(t *testing.T) {
	t.Parallel()
	got := scrape(t, New(Options{}).Handler())
	for _, name := range []string{"go_goroutines{}", "process_open_fds{}"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: missing", name)
		}
	}
}

func TestDeliveries(t *testing.T) {
	t.Parallel()
	m := New(Options{Destinations: []string{"app", "idle"}, NoRuntime: true})
	m.Attempted("app", event.Succeeded, 10*time.Millisecond)
	m.Attempted("app", event.Pending, 20*time.Millisecond)
	m.Attempted("app", event.Pending, 30*time.Millisecond)
	m.Attempted("app", event.Dead, 40*time.Millisecond)
	m.Dead("app")
	m.Dead("app") // one more, past max_age without an attempt
	got := scrape(t, m.Handler())
	want := map[string]float64{
		`hookgate_delivery_attempts_total{destination="app",outcome="succeeded"}`:  1,
		`hookgate_delivery_attempts_total{destination="app",outcome="retry"}`:      2,
		`hookgate_delivery_attempts_total{destination="app",outcome="dead"}`:       1,
		`hookgate_delivery_attempts_total{destination="idle",outcome="succeeded"}`: 0,
		`hookgate_delivery_duration_seconds_count{destination="app"}`:              4,
		`hookgate_delivery_duration_seconds_sum{destination="app"}`:                0.1,
		`hookgate_delivery_duration_seconds_count{destination="idle"}`:             0,
		`hookgate_delivery_duration_seconds_sum{destination="idle"}`:               0,
		`hookgate_dead_letters_total{destination="app"}`:                           2,
		`hookgate_dead_letters_total{destination="idle"}`:                          0,
	}
	for k, w := range want {
		if v, ok := got[k]; !ok || v-w > 1e-9 || w-v > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, w)
		}
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	m := New(Options{NoRuntime: true})
	commit := m.Commit("sqlite")
	commit(3, 2*time.Millisecond)
	commit(5, 4*time.Millisecond)
	got := scrape(t, m.Handler())
	want := map[string]float64{
		`hookgate_store_commit_batch_size_count{engine="sqlite"}`:       2,
		`hookgate_store_commit_batch_size_sum{engine="sqlite"}`:         8,
		`hookgate_store_commit_duration_seconds_count{engine="sqlite"}`: 2,
		`hookgate_store_commit_duration_seconds_sum{engine="sqlite"}`:   0.006,
	}
	for k, w := range want {
		if v := got[k]; v-w > 1e-9 || w-v > 1e-9 {
			t.Errorf("%s = %v, want %v", k, v, w)
		}
	}
}

// fakeBacklog is a hand-written Backlog that counts its calls.
type fakeBacklog struct {
	mu    sync.Mutex
	calls int
	stats []store.DestinationStats
	err   error
	asked time.Time
}

func (f *fakeBacklog) DestinationStats(_ context.Context, now time.Time) ([]store.DestinationStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.asked = now
	return f.stats, f.err
}

func (f *fakeBacklog) set(stats []store.DestinationStats, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats, f.err = stats, err
}

func (f *fakeBacklog) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func TestBacklogCachedAndLate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fb := &fakeBacklog{stats: []store.DestinationStats{
		{Destination: "app", Pending: 7, Due: 3, OldestDue: now.Add(-90 * time.Second)},
		{Destination: "archive", Pending: 2},
	}}
	m := New(Options{Destinations: []string{"app", "archive", "idle"}, Backlog: fb, BacklogTTL: 5 * time.Second, Now: clock, NoRuntime: true})
	h := m.Handler()

	got := scrape(t, h)
	want := map[string]float64{
		`hookgate_queue_depth{destination="app"}`:                  7,
		`hookgate_queue_oldest_due_seconds{destination="app"}`:     90,
		`hookgate_queue_depth{destination="archive"}`:              2,
		`hookgate_queue_oldest_due_seconds{destination="archive"}`: 0,
		`hookgate_queue_depth{destination="idle"}`:                 0,
		`hookgate_queue_oldest_due_seconds{destination="idle"}`:    0,
	}
	for k, w := range want {
		if v, ok := got[k]; !ok || v != w {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, w)
		}
	}
	if !fb.asked.Equal(now) {
		t.Errorf("asked as of %v, want the clock's %v", fb.asked, now)
	}

	// Within the TTL, scrapes (even concurrent ones) reuse the answer.
	now = now.Add(4 * time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil)) })
	}
	wg.Wait()
	if n := fb.count(); n != 1 {
		t.Fatalf("store asked %d times within the TTL, want 1", n)
	}

	// Past it, the store is asked again.
	now = now.Add(2 * time.Second)
	fb.set([]store.DestinationStats{{Destination: "app", Pending: 1}}, nil)
	got = scrape(t, h)
	if n := fb.count(); n != 2 {
		t.Fatalf("store asked %d times after the TTL, want 2", n)
	}
	if v := got[`hookgate_queue_depth{destination="app"}`]; v != 1 {
		t.Errorf("depth after refresh = %v, want 1", v)
	}

	// A failing store keeps the last answer, and is not asked again
	// before the TTL passes.
	now = now.Add(6 * time.Second)
	fb.set(nil, errors.New("database is locked"))
	got = scrape(t, h)
	if v := got[`hookgate_queue_depth{destination="app"}`]; v != 1 {
		t.Errorf("depth while failing = %v, want the last answer 1", v)
	}
	scrape(t, h)
	if n := fb.count(); n != 3 {
		t.Errorf("store asked %d times, want 3", n)
	}
}

func TestBacklogNeverAnswered(t *testing.T) {
	t.Parallel()
	fb := &fakeBacklog{err: errors.New("down")}
	m := New(Options{Destinations: []string{"app"}, Backlog: fb, NoRuntime: true})
	got := scrape(t, m.Handler())
	if v, ok := got[`hookgate_queue_depth{destination="app"}`]; ok {
		t.Errorf("depth = %v with no answer from the store; want no series", v)
	}
	if _, ok := got[`hookgate_ingest_requests_total{source="",verdict="accepted"}`]; !ok {
		t.Error("a failing backlog query broke the rest of the scrape")
	}
}

func TestLastHour(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := base
	m := New(Options{Now: func() time.Time { return now }, NoRuntime: true})
	record := func(at time.Time, vs ...ingest.Verdict) {
		now = at
		for _, v := range vs {
			m.Request("s", v, 0)
		}
	}
	// 12:00: 2 accepted, 1 refused; duplicates, challenges and 404s count
	// as neither.
	record(base.Add(10*time.Second), ingest.VerdictAccepted, ingest.VerdictAccepted, ingest.VerdictRejected,
		ingest.VerdictDuplicate, ingest.VerdictChallenge, ingest.VerdictNotFound)
	// 12:30: 1 accepted, 2 refused (auth, size).
	record(base.Add(30*time.Minute+59*time.Second), ingest.VerdictAccepted, ingest.VerdictUnauthorized, ingest.VerdictTooLarge)
	// 12:59: 1 accepted.
	record(base.Add(59*time.Minute), ingest.VerdictAccepted)

	tests := []struct {
		name string
		at   time.Time
		want map[time.Time][2]int // minute start -> accepted, rejected
	}{
		{"same hour", base.Add(59*time.Minute + 30*time.Second), map[time.Time][2]int{
			base: {2, 1}, base.Add(30 * time.Minute): {1, 2}, base.Add(59 * time.Minute): {1, 0},
		}},
		{"12:00 out of the window", base.Add(60 * time.Minute), map[time.Time][2]int{
			base.Add(30 * time.Minute): {1, 2}, base.Add(59 * time.Minute): {1, 0},
		}},
		{"all old", base.Add(3 * time.Hour), map[time.Time][2]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.LastHour(tt.at)
			if len(got) != 60 {
				t.Fatalf("got %d minutes, want 60", len(got))
			}
			if want := tt.at.Truncate(time.Minute); !got[59].Start.Equal(want) {
				t.Errorf("last minute starts %v, want %v", got[59].Start, want)
			}
			counts := map[time.Time][2]int{}
			for i, mi := range got {
				if i > 0 && mi.Start.Sub(got[i-1].Start) != time.Minute {
					t.Fatalf("minute %d starts %v, after %v", i, mi.Start, got[i-1].Start)
				}
				if mi.Accepted != 0 || mi.Rejected != 0 {
					counts[mi.Start] = [2]int{mi.Accepted, mi.Rejected}
				}
			}
			if diff := cmp.Diff(tt.want, counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}

	// A slot reused an hour later starts from zero.
	record(base.Add(time.Hour+5*time.Second), ingest.VerdictRejected)
	got := m.LastHour(base.Add(time.Hour + 10*time.Second))
	if last := got[59]; last.Accepted != 0 || last.Rejected != 1 {
		t.Errorf("reused slot: %+v, want 0 accepted, 1 rejected", last)
	}
}

// TestConcurrent adds series from many goroutines at once (run with -race).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)
	m := New(Options{Now: func() time.Time { return now }, NoRuntime: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				src := fmt.Sprintf("s%d", i%10)
				m.Request(src, ingest.VerdictAccepted, time.Millisecond)
				m.Attempted(fmt.Sprintf("d%d", (i+g)%10), event.Succeeded, time.Millisecond)
			}
		})
	}
	wg.Wait()
	got := scrape(t, m.Handler())
	var total float64
	for i := range 10 {
		total += got[fmt.Sprintf(`hookgate_ingest_requests_total{source="s%d",verdict="accepted"}`, i)]
	}
	if total != 1600 {
		t.Errorf("accepted total = %v, want 1600", total)
	}
	if mi := m.LastHour(now); mi[59].Accepted != 1600 {
		t.Errorf("this minute's accepted = %d, want 1600", mi[59].Accepted)
	}
}

func TestAddBacklog(t *testing.T) {
	t.Parallel()
	m := New(Options{Destinations: []string{"app"}, NoRuntime: true})
	if _, ok := scrape(t, m.Handler())[`hookgate_queue_depth{destination="app"}`]; ok {
		t.Fatal("queue gauges without a backlog")
	}
	fb := &fakeBacklog{stats: []store.DestinationStats{{Destination: "app", Pending: 4}}}
	if err := m.AddBacklog(fb); err != nil {
		t.Fatal(err)
	}
	if v := scrape(t, m.Handler())[`hookgate_queue_depth{destination="app"}`]; v != 4 {
		t.Errorf("depth = %v, want 4", v)
	}
	if err := m.AddBacklog(fb); err == nil {
		t.Error("a second AddBacklog succeeded")
	}
}
