package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Routes filter by header and by body, and a transform relays a
// Slack-style message; an event whose body lacks what a filter reads still
// goes through the other routes, and the failure is logged.
func TestRoutesFilterAndTransform(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pushes, main, slack := newSink(t), newSink(t), newSink(t)
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: github, provider: github, secret: s3cret }
destinations:
  - { name: pushes, url: %q, timeout: 2s }
  - { name: main, url: %q, timeout: 2s }
  - { name: slack, url: %q, timeout: 2s }
routes:
  - from: [github]
    to: [pushes]
    filter: headers["x-github-event"] == "push"
  - from: [github]
    to: [main]
    filter: body.ref == "refs/heads/main"
  - from: [github]
    to: [slack]
    filter: type == "push"
    transform:
      body: '{"text": "push to " + body.repository.full_name + " (" + body.ref + ") by " + body.pusher.name}'
      headers: { X-Relay: '"hookgate " + source' }
`, filepath.Join(dir, "hookgate.db"), pushes.url, main.url, slack.url)
	g := start(t, writeConfig(t, dir, cfg))

	send := func(kind, delivery, body string) string {
		t.Helper()
		id, _ := accepted(t, signed(t, "github", "s3cret", g.url("/in/github"), []byte(body),
			http.Header{"X-Github-Event": {kind}, "X-Github-Delivery": {delivery}}))
		return id
	}
	pushMain := send("push", "d-1", `{"ref":"refs/heads/main","repository":{"full_name":"octo/hello"},"pusher":{"name":"mona"}}`)
	pushDev := send("push", "d-2", `{"ref":"refs/heads/dev","repository":{"full_name":"octo/hello"},"pusher":{"name":"lisa"}}`)
	issue := send("issues", "d-3", `{"action":"opened","issue":{"number":1}}`) // no ref: the main filter fails

	waitFor(t, 20*time.Second, "the deliveries", func() bool {
		return pushes.count() >= 2 && main.count() >= 1 && slack.count() >= 2
	})
	time.Sleep(300 * time.Millisecond) // room for a wrong extra delivery to show
	g.stop()

	ids := func(s *sink) []string {
		var out []string
		for _, r := range s.snapshot() {
			out = append(out, r.EventID)
		}
		return out
	}
	if diff := cmp.Diff([]string{pushMain, pushDev}, sortedLike(ids(pushes), pushMain, pushDev)); diff != "" {
		t.Errorf("pushes sink got (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{pushMain}, ids(main)); diff != "" {
		t.Errorf("main sink got (-want +got):\n%s", diff)
	}
	for _, r := range pushes.snapshot() {
		if !strings.HasPrefix(string(r.Body), `{"ref":`) {
			t.Errorf("pushes sink got a changed body %s", r.Body)
		}
	}
	texts := map[string]string{}
	for _, r := range slack.snapshot() {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("slack sink: Content-Type %q, want application/json", ct)
		}
		if got := r.Header.Get("X-Relay"); got != "hookgate github" {
			t.Errorf("slack sink: X-Relay %q, want %q", got, "hookgate github")
		}
		var msg map[string]string
		if err := json.Unmarshal(r.Body, &msg); err != nil {
			t.Errorf("slack sink: body %s is not a JSON object of strings: %v", r.Body, err)
		}
		texts[r.EventID] = msg["text"]
	}
	want := map[string]string{
		pushMain: "push to octo/hello (refs/heads/main) by mona",
		pushDev:  "push to octo/hello (refs/heads/dev) by lisa",
	}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("slack messages (-want +got):\n%s", diff)
	}
	logs := g.stderr.String()
	if n := strings.Count(logs, "expression failed"); n != 1 || !strings.Contains(logs, issue) {
		t.Errorf("%d logs of a failed expression, want 1 naming event %s:\n%s", n, issue, logs)
	}
}

// sortedLike orders got as want orders the same ids (arrival order across
// concurrent deliveries is not the point here).
func sortedLike(got []string, want ...string) []string {
	var out []string
	for _, w := range want {
		for _, g := range got {
			if g == w {
				out = append(out, g)
			}
		}
	}
	if len(out) != len(got) {
		return got
	}
	return out
}

// A bad expression stops check and serve, naming file, line, field and
// the position in the expression.
func TestRouteCompileErrors(t *testing.T) {
	t.Parallel()
	cfg := `listen: "127.0.0.1:0"
storage: { driver: sqlite, path: ./data/hookgate.db }
sources:
  - { name: github, provider: github, secret: s }
destinations:
  - { name: app, url: "http://127.0.0.1:9/hooks" }
routes:
  - from: [github]
    to: [app]
    filter: headers["x-github-event"] == "push" &&
    transform:
      body: '{"text": bdy.ref}'
    ordering: { key: size(body) }
`
	want := []string{
		"hookgate.yaml:10: routes[0].filter: 1:39: Syntax error",
		"hookgate.yaml:12: routes[0].transform.body: 1:10: undeclared reference to 'bdy'",
		"hookgate.yaml:13: routes[0].ordering.key: has type int, want string",
	}
	for _, cmd := range []string{"check", "serve"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			run := exec.Command(binary(t), cmd, "--config", writeConfig(t, dir, cfg))
			run.Dir = dir
			out, err := run.CombinedOutput()
			if err == nil {
				t.Fatalf("%s exited 0:\n%s", cmd, out)
			}
			for _, w := range want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// orderSink records, per ordering key, the events it accepted in arrival
// order. It fails the first request of every third event (forcing a retry
// while later events of the key wait), answers slowly enough for
// concurrent deliveries to overlap, and notes any two of a key in flight at
// once.
type orderSink struct {
	mu       sync.Mutex
	seen     map[string]int   // event id -> requests
	got      map[string][]int // key -> event numbers, in order of success
	inFlight map[string]int   // key -> requests in flight
	overlaps []string
}

func (s *orderSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		Repo string `json:"repo"`
		N    int    `json:"n"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.inFlight[ev.Repo]++
	if s.inFlight[ev.Repo] > 1 {
		s.overlaps = append(s.overlaps, fmt.Sprintf("%s #%d arrived while another of its key was in flight", ev.Repo, ev.N))
	}
	id := r.Header.Get("Webhook-Id")
	s.seen[id]++
	fail := s.seen[id] == 1 && ev.N%3 == 0
	s.mu.Unlock()

	time.Sleep(5 * time.Millisecond)

	s.mu.Lock()
	s.inFlight[ev.Repo]--
	if !fail {
		s.got[ev.Repo] = append(s.got[ev.Repo], ev.N)
	}
	s.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *orderSink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ns := range s.got {
		n += len(ns)
	}
	return n
}

// Deliveries with one ordering key arrive one at a time, in the order the
// events were received, even though the destination takes 16 at once and
// some first attempts fail; other keys go on meanwhile.
func TestRouteOrdering(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := &orderSink{seen: map[string]int{}, got: map[string][]int{}, inFlight: map[string]int{}}
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: %q, timeout: 2s, concurrency: 16, retry: { max_attempts: 10, initial: 10ms, max: 50ms } }
routes:
  - from: [orders]
    to: [app]
    ordering: { key: body.repo }
`, filepath.Join(dir, "hookgate.db"), serveLocal(t, s))
	g := start(t, writeConfig(t, dir, cfg))

	const keys, perKey = 3, 15
	want := map[string][]int{}
	for n := range keys * perKey {
		repo := fmt.Sprintf("repo-%d", n%keys)
		accepted(t, signed(t, "hmac", "s3cret", g.url("/in/orders"), fmt.Appendf(nil, `{"repo":%q,"n":%d}`, repo, n), nil))
		want[repo] = append(want[repo], n)
	}
	waitFor(t, 30*time.Second, "every event delivered", func() bool { return s.total() >= keys*perKey })
	time.Sleep(200 * time.Millisecond)
	g.stop()

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.overlaps) > 0 {
		t.Errorf("deliveries of one key overlapped:\n%s", strings.Join(s.overlaps, "\n"))
	}
	if diff := cmp.Diff(want, s.got); diff != "" {
		t.Errorf("arrival order per key (-want +got):\n%s", diff)
	}
}
