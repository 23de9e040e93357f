package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pgConfig is a gateway on PostgreSQL at dsn: one GitHub source routed to a
// sink, with short leases and polls so that a dead node's deliveries are
// taken over within seconds.
func pgConfig(dsn, secret, sinkURL string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: postgres, dsn: %q }
delivery: { lease: 3s, poll: 200ms, batch: 64 }
sources:
  - { name: github, provider: github, secret: %q }
destinations:
  - { name: app, url: %q, timeout: 2s, retry: { max_attempts: 30, initial: 50ms, max: 1s } }
routes:
  - { from: [github], to: [app] }
`, dsn, secret, sinkURL)
}

// load sends signed GitHub deliveries from several goroutines, spreading
// them round-robin over targets, and records what was acknowledged. Each
// worker stops by itself (see maxLoad), halt or not.
type load struct {
	t      *testing.T
	secret string
	urls   []string

	mu       sync.Mutex
	acked    map[string][]byte // event id -> body
	sent     map[string]bool   // every body sent, acked or not
	status   map[int]int       // answers by status
	byURL    map[string]int    // acknowledgements by target
	failed   int               // requests with no answer (node down)
	noRetry  int               // 503s without Retry-After
	ackTimes []time.Time

	stop chan struct{}
	wg   sync.WaitGroup
}

// Each load worker stops by itself after maxLoad or maxRequests, whichever
// comes first.
const (
	maxLoad     = 90 * time.Second
	maxRequests = 200_000
)

func startLoad(t *testing.T, workers int, secret string, urls ...string) *load {
	l := &load{
		t: t, secret: secret, urls: urls,
		acked: map[string][]byte{}, sent: map[string]bool{}, status: map[int]int{}, byURL: map[string]int{},
		stop: make(chan struct{}),
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers, IdleConnTimeout: 30 * time.Second},
	}
	deadline := time.Now().Add(maxLoad)
	for w := range workers {
		l.wg.Go(func() { l.work(client, w, deadline) })
	}
	t.Cleanup(l.halt)
	return l
}

func (l *load) work(client *http.Client, w int, deadline time.Time) {
	for i := 0; i < maxRequests && time.Now().Before(deadline); i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		target := l.urls[(w+i)%len(l.urls)]
		body := fmt.Appendf(nil, `{"worker":%d,"n":%d,"pad":"%s"}`, w, i, bytes.Repeat([]byte("x"), 256))
		l.mu.Lock()
		l.sent[string(body)] = true
		l.mu.Unlock()
		req := signed(l.t, "github", l.secret, target+"/in/github", body,
			http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {fmt.Sprintf("d-%d-%d", w, i)}})
		resp, err := client.Do(req)
		if err != nil {
			l.mu.Lock()
			l.failed++
			l.mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		status, retryAfter := resp.StatusCode, resp.Header.Get("Retry-After")
		var a struct{ ID, Status string }
		err = json.NewDecoder(resp.Body).Decode(&a)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		l.mu.Lock()
		l.status[status]++
		if status == http.StatusOK && err == nil && a.ID != "" {
			l.acked[a.ID] = body
			l.byURL[target]++
			l.ackTimes = append(l.ackTimes, time.Now())
		}
		if status == http.StatusServiceUnavailable && retryAfter == "" {
			l.noRetry++
		}
		l.mu.Unlock()
		if status != http.StatusOK {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// halt stops the workers and waits for them.
func (l *load) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// ackedSince counts acknowledgements received after at.
func (l *load) ackedSince(at time.Time) int { return l.ackedBetween(at, time.Now().Add(time.Hour)) }

// ackedBetween counts acknowledgements received between from and to.
func (l *load) ackedBetween(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.ackTimes {
		if t.After(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// checkDelivered waits until every acknowledged event is at the sink, then
// checks that none was lost or altered, that duplicates at the sink carry
// the same event id (and so the same body), and that the sink got nothing
// that was never sent.
func checkDelivered(t *testing.T, sk *sink, l *load, within time.Duration) {
	t.Helper()
	l.mu.Lock()
	acked := make(map[string][]byte, len(l.acked))
	for id, b := range l.acked {
		acked[id] = b
	}
	sent := l.sent
	l.mu.Unlock()
	delivered := func() map[string][]byte {
		m := map[string][]byte{}
		for _, r := range sk.snapshot() {
			m[r.EventID] = r.Body
		}
		return m
	}
	missing := func() int {
		d, n := delivered(), 0
		for id := range acked {
			if _, ok := d[id]; !ok {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(within)
	for missing() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := missing(); n > 0 {
		t.Fatalf("%d of %d acknowledged events never reached the sink within %v", n, len(acked), within)
	}
	d := delivered()
	for id, body := range acked {
		if !bytes.Equal(d[id], body) {
			t.Errorf("event %s delivered with another body", id)
		}
	}
	seen, dups := map[string][]byte{}, 0
	for _, r := range sk.snapshot() {
		if prev, ok := seen[r.EventID]; ok {
			dups++
			if !bytes.Equal(prev, r.Body) {
				t.Errorf("event id %s delivered with two different bodies", r.EventID)
			}
		}
		seen[r.EventID] = r.Body
		if !sent[string(r.Body)] {
			t.Errorf("sink got a body that was never sent: %.60q", r.Body)
		}
	}
	t.Logf("all %d acknowledged events delivered; %d deliveries at the sink, %d of them repeats (same event id)",
		len(acked), sk.count(), dups)
}

// pgCluster is a PostgreSQL cluster of this test's own, made with
// scripts/pg-test-cluster.sh, for tests that stop and start the server.
type pgCluster struct {
	t      *testing.T
	script string
	dir    string
	dsn    string
}

func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "scripts", "pg-test-cluster.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(script, "find").Run(); err != nil {
		msg := "PostgreSQL server binaries (initdb, pg_ctl) not found: this test starts and stops a cluster of its own"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// --until-exit: removed even if this process dies without cleaning up.
	out, err := exec.Command(script, "start", "--until-exit", strconv.Itoa(os.Getpid())).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s start: %v\n%s", script, err, stderr)
	}
	c := &pgCluster{t: t, script: script}
	for line := range strings.Lines(string(out)) {
		k, v, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		v = strings.Trim(v, "'")
		switch k {
		case "HOOKGATE_TEST_POSTGRES_DSN":
			c.dsn = v
		case "HOOKGATE_TEST_PG_CLUSTER":
			c.dir = v
		}
	}
	if c.dsn == "" || c.dir == "" {
		t.Fatalf("%s start printed no DSN or folder:\n%s", script, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", c.dir).CombinedOutput(); err != nil {
			t.Errorf("%s stop: %v\n%s", script, err, out)
		}
	})
	return c
}

// ctl stops (pg_ctl stop -m fast) or starts the server, keeping its data.
func (c *pgCluster) ctl(action string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, c.script, "ctl", c.dir, action).CombinedOutput(); err != nil {
		c.t.Fatalf("pg-test-cluster.sh ctl %s: %v\n%s", action, err, out)
	}
}

// requirePostgres skips (fails under CI=true) tests that need PostgreSQL
// when the test environment has none.
func requirePostgres(t *testing.T) {
	t.Helper()
	if os.Getenv("HOOKGATE_TEST_POSTGRES_DSN") == "" {
		msg := "HOOKGATE_TEST_POSTGRES_DSN is not set: no PostgreSQL to test against (run ./test.sh, or eval \"$(scripts/pg-test-cluster.sh start)\")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}
