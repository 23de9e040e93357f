package route

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

func mustCompile(t testing.TB, specs ...Spec) []*Route {
	t.Helper()
	var rs []*Route
	for _, s := range specs {
		r, err := Compile(s)
		if err != nil {
			t.Fatalf("Compile(%+v): %v", s, err)
		}
		rs = append(rs, r)
	}
	return rs
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name  string
		specs []Spec
		want  []store.Route
	}{
		{"no routes", nil, []store.Route{}},
		{"static, each destination once", []Spec{
			{To: []string{"a", "b"}}, {To: []string{"b", "c"}},
		}, []store.Route{{Destination: "a"}, {Destination: "b"}, {Destination: "c"}}},
		{"filters", []Spec{
			{To: []string{"pushes"}, Filter: `headers["x-github-event"] == "push"`},
			{To: []string{"issues"}, Filter: `headers["x-github-event"] == "issues"`},
			{To: []string{"main"}, Filter: `body.ref == "refs/heads/main"`},
			{To: []string{"all"}},
		}, []store.Route{{Destination: "pushes"}, {Destination: "main"}, {Destination: "all"}}},
		{"nothing matches", []Spec{
			{To: []string{"a"}, Filter: `false`},
		}, nil},
		{"first matching route wins", []Spec{
			{To: []string{"x"}, Filter: `type == "issues"`, OrderingKey: `"never"`},
			{To: []string{"slack", "app"}, Transform: Transform{Body: `{"text": type}`}, OrderingKey: `body.repository.full_name`},
			{To: []string{"app", "audit"}, OrderingKey: `"second"`},
		}, []store.Route{
			{Destination: "slack", OrderingKey: "octo/hello", Body: []byte(`{"text":"push"}`), Header: jsonHeader},
			{Destination: "app", OrderingKey: "octo/hello", Body: []byte(`{"text":"push"}`), Header: jsonHeader},
			{Destination: "audit", OrderingKey: "second"},
		}},
		{"a failing route is skipped", []Spec{
			{To: []string{"a"}, Filter: `body.nope == 1`},
			{To: []string{"a", "b"}, Transform: Transform{Body: `{"x": body.nope}`}},
			{To: []string{"a"}, OrderingKey: `body.ref`},
		}, []store.Route{{Destination: "a", OrderingKey: "refs/heads/main"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewRouter("github", mustCompile(t, tt.specs...), Options{Logger: slog.New(slog.DiscardHandler)})
			if diff := cmp.Diff(tt.want, r.Routes(push())); diff != "" {
				t.Errorf("Routes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRoutesBodyParsedOnce checks that routes that need no body do not parse
// it, and that several that do share one parse.
func TestRoutesBodyParsedOnce(t *testing.T) {
	t.Parallel()
	v := newVars(push(), nil)
	rs := mustCompile(t,
		Spec{To: []string{"a"}, Filter: `type == "issues" && body.x == 1`},
		Spec{To: []string{"b"}, Filter: `headers["x-github-event"] == "push"`},
	)
	for _, r := range rs {
		if _, err := r.match(v); err != nil {
			t.Fatal(err)
		}
	}
	if v.body != nil {
		t.Fatalf("body parsed, though no expression reached it")
	}
	rs = mustCompile(t, Spec{Filter: `body.ref != ""`}, Spec{Filter: `has(body.size)`})
	if _, err := rs[0].match(v); err != nil {
		t.Fatal(err)
	}
	first := v.body
	if _, err := rs[1].match(v); err != nil {
		t.Fatal(err)
	}
	if first == nil || v.body != first {
		t.Errorf("body parsed again for the second route")
	}
}

// TestRoutesLogRateLimited checks that a failing route logs once per
// interval, with a count of what it held back, and never stops routing.
func TestRoutesLogRateLimited(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	r := NewRouter("github", mustCompile(t,
		Spec{Name: "hookgate.yaml:12", To: []string{"a"}, Filter: `body.nope == 1`},
		Spec{To: []string{"b"}},
	), Options{Logger: log, Now: func() time.Time { return now }})

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := r.Routes(push()); len(got) != 1 || got[0].Destination != "b" {
					t.Errorf("Routes = %+v, want b only", got)
				}
			}
		})
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "expression failed"); n != 1 {
		t.Fatalf("%d log lines for 800 failures in one minute, want 1:\n%s", n, buf.String())
	}
	now = now.Add(time.Minute)
	r.Routes(push())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "failures_not_logged=799") ||
		!strings.Contains(lines[1], "route=hookgate.yaml:12") || !strings.Contains(lines[1], "no such key: nope") {
		t.Errorf("log after a minute:\n%s\nwant a second line with route, error and failures_not_logged=799", buf.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRoutesConcurrent evaluates one router from many goroutines, for the
// race detector.
func TestRoutesConcurrent(t *testing.T) {
	t.Parallel()
	r := NewRouter("github", mustCompile(t,
		Spec{To: []string{"a"}, Filter: `body.ref == "refs/heads/main"`, OrderingKey: `body.repository.full_name`},
		Spec{To: []string{"b"}, Transform: Transform{Body: `{"text": headers["x-github-event"]}`}},
	), Options{})
	want := r.Routes(push())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if diff := cmp.Diff(want, r.Routes(push())); diff != "" {
					t.Errorf("Routes (-want +got):\n%s", diff)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkMatch(b *testing.B) {
	benches := []struct {
		name, filter string
	}{
		{"header", `headers["x-github-event"] == "push"`},
		{"type", `type == "push"`},
		{"header and body", `headers["x-github-event"] == "push" && body.ref == "refs/heads/main"`},
		{"body exists", `body.commits.exists(c, c.message == "docs")`},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			r := mustCompile(b, Spec{Filter: bb.filter})[0]
			ev := push()
			b.ReportAllocs()
			for b.Loop() {
				ok, err := r.Match(ev)
				if !ok || err != nil {
					b.Fatalf("Match = %v, %v", ok, err)
				}
			}
		})
	}
}

// BenchmarkRoutes routes one event through a typical source's routes: a
// header filter, a body filter with an ordering key, and a Slack transform.
func BenchmarkRoutes(b *testing.B) {
	r := NewRouter("github", mustCompile(b,
		Spec{To: []string{"app"}, Filter: `headers["x-github-event"] == "push"`},
		Spec{To: []string{"deploy"}, Filter: `body.ref == "refs/heads/main"`, OrderingKey: `body.repository.full_name`},
		Spec{To: []string{"slack"}, Transform: Transform{Body: `{"text": "push to " + body.repository.full_name}`}},
	), Options{})
	ev := push()
	b.ReportAllocs()
	for b.Loop() {
		if got := r.Routes(ev); len(got) != 3 {
			b.Fatalf("Routes = %+v", got)
		}
	}
}

func BenchmarkRoutesStatic(b *testing.B) {
	r := NewRouter("github", mustCompile(b, Spec{To: []string{"a", "b"}}), Options{})
	ev := &event.Event{Source: "github"}
	b.ReportAllocs()
	for b.Loop() {
		r.Routes(ev)
	}
}
