package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/api"
	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// counting is a sink that answers fails times with failStatus, then 200, and
// counts every request.
type counting struct {
	hits, fails atomic.Int64
	failStatus  int
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.hits.Add(1)
	if n <= c.fails.Load() {
		w.WriteHeader(c.failStatus)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func serveLocal(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// A sink that fails twice then succeeds gets exactly one success after three
// attempts; a sink that always fails ends dead after max_attempts attempts.
func TestRetriesAndDeadLetters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flaky := &counting{failStatus: http.StatusServiceUnavailable}
	flaky.fails.Store(2)
	down := &counting{failStatus: http.StatusInternalServerError}
	down.fails.Store(1 << 40)
	cfg := fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: flaky, url: %q, timeout: 2s, retry: { max_attempts: 5, initial: 10ms, max: 50ms } }
  - { name: down, url: %q, timeout: 2s, retry: { max_attempts: 3, initial: 10ms, max: 50ms } }
routes:
  - { from: [orders], to: [flaky, down] }
`, filepath.Join(dir, "hookgate.db"), serveLocal(t, flaky), serveLocal(t, down))
	g := start(t, writeConfig(t, dir, cfg))
	id, _ := accepted(t, signed(t, "hmac", "s3cret", g.url("/in/orders"), []byte(`{"n":1}`), nil))
	waitFor(t, 20*time.Second, "3 attempts at each sink", func() bool {
		return flaky.hits.Load() >= 3 && down.hits.Load() >= 3
	})
	// Give any wrongly scheduled extra attempt the time to show up.
	time.Sleep(300 * time.Millisecond)
	g.stop()
	if got := flaky.hits.Load(); got != 3 {
		t.Errorf("flaky sink: %d requests, want 3 (2 failures + 1 success)", got)
	}
	if got := down.hits.Load(); got != 3 {
		t.Errorf("down sink: %d requests, want max_attempts = 3", got)
	}

	st := openStore(t, filepath.Join(dir, "hookgate.db"))
	ds, err := st.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		state    event.State
		statuses []int
	}{
		"flaky": {event.Succeeded, []int{503, 503, 200}},
		"down":  {event.Dead, []int{500, 500, 500}},
	}
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2", len(ds))
	}
	for _, d := range ds {
		w := want[d.Destination]
		if d.State != w.state {
			t.Errorf("%s: state %s, want %s", d.Destination, d.State, w.state)
		}
		atts, err := st.Attempts(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []int
		for i, a := range atts {
			statuses = append(statuses, a.Status)
			if a.N != i+1 {
				t.Errorf("%s attempt %d numbered %d", d.Destination, i+1, a.N)
			}
		}
		if fmt.Sprint(statuses) != fmt.Sprint(w.statuses) {
			t.Errorf("%s: attempt statuses %v, want %v", d.Destination, statuses, w.statuses)
		}
	}
}

// A dead delivery is listed by `hookgate dead ls` and, once retried with
// `hookgate dead retry`, delivered by the running gateway. The management
// API is served on api.listen alone, not on the main listener.
func TestDeadRetry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	down := &counting{failStatus: http.StatusBadGateway}
	down.fails.Store(2)
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	apiAddr := ln.Addr().String()
	ln.Close()
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: down, url: %q, timeout: 2s, retry: { max_attempts: 2, initial: 10ms, max: 20ms } }
routes:
  - { from: [orders], to: [down] }
api:
  listen: %q
  tokens: [ { name: ops, token: %s, scope: admin } ]
`, filepath.Join(dir, "hookgate.db"), serveLocal(t, down), apiAddr, adminToken))
	g := start(t, cfg)
	id, _ := accepted(t, signed(t, "hmac", "s3cret", g.url("/in/orders"), []byte(`{"n":2}`), nil))
	waitFor(t, 20*time.Second, "2 failed attempts", func() bool { return down.hits.Load() >= 2 })
	time.Sleep(200 * time.Millisecond)

	call := func(args ...string) ([]byte, error) {
		return exec.Command(binary(t), append(args, "--gateway", "http://"+apiAddr, "--token", adminToken)...).CombinedOutput()
	}
	out, err := call("dead", "ls", "--json")
	if err != nil {
		t.Fatalf("dead ls: %v\n%s", err, out)
	}
	var dead api.DeliveryList
	if err := json.Unmarshal(out, &dead); err != nil {
		t.Fatalf("dead ls --json: %v\n%s", err, out)
	}
	if len(dead.Deliveries) != 1 || dead.Deliveries[0].EventID != id || dead.Deliveries[0].Attempts != 2 {
		t.Fatalf("dead ls: got %+v, want one dead delivery of event %s with 2 attempts", dead, id)
	}
	d := dead.Deliveries[0]
	if out, err := call("dead", "retry", d.ID); err != nil {
		t.Fatalf("dead retry: %v\n%s", err, out)
	}
	if out, err := call("dead", "retry", "no-such-id"); err == nil || string(out) != "hookgate: 404: no delivery with id no-such-id\n" {
		t.Errorf("dead retry of an unknown id: err %v, output %s; want a failure naming it", err, out)
	}
	// The sink now answers 200: the running gateway delivers the retry.
	waitFor(t, 20*time.Second, "the retried delivery", func() bool { return down.hits.Load() >= 3 })
	resp, err := http.Get(g.url("/api/v1/stats"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("main listener answered %d to /api/v1/stats, want 404 (api.listen serves the API)", resp.StatusCode)
	}
	time.Sleep(100 * time.Millisecond)
	g.stop()
	st := openStore(t, filepath.Join(dir, "hookgate.db"))
	got, err := st.Delivery(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != event.Succeeded || got.Attempts != 3 {
		t.Errorf("after retry: state %s with %d attempts, want succeeded with 3", got.State, got.Attempts)
	}
}
