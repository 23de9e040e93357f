package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
)

// requireRoot skips tests that mount file systems when not root, except
// under CI=true, where they fail.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		msg := "this test mounts a small tmpfs for the data folder, which needs root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// mountTmpfs mounts a tmpfs of size (such as "8m") on a new folder and
// unmounts it when the test ends (after the gateway is killed: cleanups run
// last registered first, so call it before start).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mount(t, "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

func mount(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Fatalf("mount %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fill writes zeros into a file in dir until the file system is full and
// returns the file's path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			break
		}
	}
	// Fill the last bytes too, a page at a time and then a byte at a time.
	for _, n := range []int{4096, 1} {
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	return p
}

// ingestResult is one answer to a signed request.
type ingestResult struct {
	status     int
	id         string
	code       string
	retryAfter string
}

// post sends body, signed for the faults' orders source, and reads the
// answer. A request that got no answer fails the test.
func post(t *testing.T, g *gateway, body []byte) ingestResult {
	t.Helper()
	req := signed(t, "hmac", "faults-secret", g.url("/in/orders"), body, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("POST /in/orders: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := ingestResult{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	var a struct{ ID, Status string }
	if resp.StatusCode == http.StatusOK && json.Unmarshal(b, &a) == nil {
		r.id = a.ID
	} else {
		r.code = errorCode(b)
	}
	return r
}

// faultsConfig is one hmac source routed to the sink, stored in dir.
func faultsConfig(dir, sinkURL string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 50ms }
sources:
  - { name: orders, provider: hmac, secret: faults-secret, max_body: 1MiB, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: %q, timeout: 2s, retry: { max_attempts: 100, initial: 50ms, max: 500ms } }
routes:
  - { from: [orders], to: [app] }
`, filepath.Join(dir, "hookgate.db"), sinkURL)
}

// checkUnavailable checks a refusal for lack of storage: 503, Retry-After
// and the JSON error store_unavailable.
func checkUnavailable(t *testing.T, what string, r ingestResult) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.retryAfter == "" || r.code != "store_unavailable" {
		t.Errorf("%s: got %d (Retry-After %q, code %q), want 503 with Retry-After and store_unavailable", what, r.status, r.retryAfter, r.code)
	}
}

// The data folder's file system fills up under a running gateway: ingest
// answers 503 with Retry-After and a JSON error, acknowledges nothing it
// did not store, and takes events again, without a restart, once space is
// freed; every acknowledged event is delivered.
func TestDiskFull(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	data := mountTmpfs(t, "8m")
	sk := newSink(t)
	g := start(t, writeConfig(t, t.TempDir(), faultsConfig(data, sk.url)))
	acked := ledger{}
	pad := bytes.Repeat([]byte("x"), 16<<10)
	n := 0
	send := func() ingestResult {
		n++
		body := fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, n, pad)
		r := post(t, g, body)
		if r.status == http.StatusOK {
			acked[r.id] = body
		}
		return r
	}
	for range 20 {
		if r := send(); r.status != http.StatusOK {
			t.Fatalf("before the disk filled: status %d %s", r.status, r.code)
		}
	}
	waitFor(t, 10*time.Second, "the first events at the sink", func() bool { return sk.count() >= 20 })

	filler := fill(t, data)
	// The WAL may still have room for a few commits; past that, every
	// request must be refused.
	var first int
	for i := 0; ; i++ {
		r := send()
		if r.status == http.StatusOK {
			if i > 200 {
				t.Fatalf("still acknowledging %d requests after the disk filled", i)
			}
			continue
		}
		checkUnavailable(t, "first refusal on a full disk", r)
		first = i
		break
	}
	for i := range 10 {
		checkUnavailable(t, fmt.Sprintf("request %d on a full disk", i), send())
	}
	if status := readyz(t, g); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a full disk: %d, want 503", status)
	}
	t.Logf("disk full: %d more requests acknowledged before the first 503", first)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitFor(t, 10*time.Second, "an acknowledgement after space came back", func() bool { return send().status == http.StatusOK })
	t.Logf("ingest acknowledged again %v after space was freed, without a restart", time.Since(freed).Round(time.Millisecond))
	for range 10 {
		if r := send(); r.status != http.StatusOK {
			t.Errorf("after space came back: status %d %s", r.status, r.code)
		}
	}
	waitForAll(t, sk, acked, 30*time.Second)
	g.stop()
	checkStored(t, filepath.Join(data, "hookgate.db"), acked)
}

// waitForAll waits until every acknowledged event reached the sink, with
// its body.
func waitForAll(t *testing.T, sk *sink, acked ledger, within time.Duration) {
	t.Helper()
	waitFor(t, within, fmt.Sprintf("all %d acknowledged events at the sink", len(acked)), func() bool {
		for id := range acked {
			if !sk.has(id) {
				return false
			}
		}
		return true
	})
	for _, r := range sk.snapshot() {
		if want, ok := acked[r.EventID]; !ok || !bytes.Equal(r.Body, want) {
			t.Errorf("sink got event %s, not acknowledged or with another body", r.EventID)
		}
	}
}

// A read-only data folder. Linux refuses to remount a file system read-only
// while a file on it is open for writing (EBUSY), so a running gateway
// cannot lose its write access this way; the test shows that, then stops
// the gateway, remounts read-only and starts it again: it must not start
// (nothing could be acknowledged) and must say why, and once the folder is
// writable again a start delivers everything acknowledged before.
func TestReadOnlyDataFolder(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	data := mountTmpfs(t, "8m")
	sk := newSink(t)
	cfg := writeConfig(t, t.TempDir(), faultsConfig(data, sk.url))
	// The sink fails everything at first, so deliveries are pending when
	// the folder turns read-only.
	sk.failNext = 1 << 30
	g := start(t, cfg)
	acked := ledger{}
	for i := range 20 {
		body := fmt.Appendf(nil, `{"n":%d}`, i)
		r := post(t, g, body)
		if r.status != http.StatusOK {
			t.Fatalf("status %d %s", r.status, r.code)
		}
		acked[r.id] = body
	}
	out, err := exec.Command("mount", "-o", "remount,ro", data).CombinedOutput()
	if err == nil {
		t.Fatalf("remount read-only under a running gateway succeeded; make this test check ingest answers 503 then")
	}
	t.Logf("remount,ro while the gateway runs: %v: %s", err, bytes.TrimSpace(out))
	g.stop()

	mount(t, "-o", "remount,ro", data)
	p := exec.Command(binary(t), "serve", "--config", cfg)
	done := make(chan struct{})
	var stderr bytes.Buffer
	p.Stderr = &stderr
	var runErr error
	go func() { runErr = p.Run(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.Process.Kill()
		<-done
		t.Fatalf("hookgate kept running on a read-only data folder\n%s", stderr.String())
	}
	if runErr == nil || !strings.Contains(stderr.String(), "read-only") {
		t.Errorf("start on a read-only folder: exit %v, want a failure that says read-only\n%s", runErr, stderr.String())
	}
	t.Logf("start on a read-only data folder: %v: %s", runErr, lastLine(stderr.String()))

	mount(t, "-o", "remount,rw", data)
	sk.mu.Lock()
	sk.failNext = 0
	sk.mu.Unlock()
	g2 := start(t, cfg)
	r := post(t, g2, []byte(`{"after":"rw"}`))
	if r.status != http.StatusOK {
		t.Fatalf("after remount rw: status %d %s", r.status, r.code)
	}
	acked[r.id] = []byte(`{"after":"rw"}`)
	waitForAll(t, sk, acked, 30*time.Second)
	g2.stop()
	checkStored(t, filepath.Join(data, "hookgate.db"), acked)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Every request that got a 2xx before a SIGKILL is delivered after a restart
// on the same PostgreSQL database: zero acknowledged events lost (the
// PostgreSQL twin of TestCrashSafety).
func TestPostgresCrashSafety(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	dsn := pgtest.Database(t)
	sk := newSink(t)
	sk.delay = 30 * time.Millisecond // 16 in flight: slower than ingest, so a backlog builds up
	const secret = "pgcrash-secret"
	cfg := writeConfig(t, t.TempDir(), pgConfig(dsn, secret, sk.url))
	g := start(t, cfg)
	l := startLoad(t, 16, secret, "http://"+g.addr)
	time.Sleep(2 * time.Second)
	g.kill()
	time.Sleep(200 * time.Millisecond)
	l.halt()

	l.mu.Lock()
	acked := len(l.acked)
	backlog := 0
	for id := range l.acked {
		if !sk.has(id) {
			backlog++
		}
	}
	l.mu.Unlock()
	t.Logf("%d requests acknowledged before SIGKILL, %d of them not yet delivered", acked, backlog)
	if acked < 100 {
		t.Fatalf("only %d requests acknowledged before the kill; the test needs load", acked)
	}
	if backlog == 0 {
		t.Fatal("no backlog at the kill: the test would not exercise recovery")
	}
	g2 := start(t, cfg)
	checkDelivered(t, sk, l, 60*time.Second)
	g2.stop()
}

// outageSink answers 503 until up, then 200, and records each request.
type outageSink struct {
	mu   sync.Mutex
	up   time.Time
	hits map[string][]time.Time // event id -> request times
}

func (s *outageSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.Header.Get("Webhook-Id")
	s.hits[id] = append(s.hits[id], time.Now())
	if time.Now().Before(s.up) {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// A destination down for 20 seconds, then back: every event is delivered,
// and the waits between attempts follow the policy: each within its full
// jitter ceiling min(max, initial*2^(n-1)), capped at max, and growing on
// average with the attempt number.
func TestLongOutage(t *testing.T) {
	t.Parallel()
	const (
		initial = 250 * time.Millisecond
		maxWait = 4 * time.Second
		outage  = 20 * time.Second
		events  = 20
		// slack covers scheduling: the poll (50ms), a lease round trip and
		// the writer's batching on a loaded machine.
		slack = 500 * time.Millisecond
	)
	sk := &outageSink{hits: map[string][]time.Time{}}
	dir := t.TempDir()
	db := filepath.Join(dir, "hookgate.db")
	sk.up = time.Now().Add(time.Hour) // down until the events are in
	g := start(t, writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 50ms }
sources:
  - { name: orders, provider: hmac, secret: outage-secret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: %q, timeout: 2s, retry: { max_attempts: 1000, initial: %s, max: %s } }
routes:
  - { from: [orders], to: [app] }
`, db, serveLocal(t, sk), initial, maxWait)))
	var ids []string
	for i := range events {
		id, _ := accepted(t, signed(t, "hmac", "outage-secret", g.url("/in/orders"), fmt.Appendf(nil, `{"n":%d}`, i), nil))
		ids = append(ids, id)
	}
	sk.mu.Lock()
	up := time.Now().Add(outage)
	sk.up = up
	sk.mu.Unlock()

	st := openStore(t, db)
	waitFor(t, outage+maxWait+30*time.Second, "every delivery to succeed", func() bool {
		for _, id := range ids {
			ds, err := st.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
			if err != nil || len(ds) != 1 || ds[0].State != event.Succeeded {
				return false
			}
		}
		return true
	})
	g.stop()

	ceiling := func(n int) time.Duration { // the policy's, restated
		c := initial
		for i := 1; i < n && c < maxWait; i++ {
			c *= 2
		}
		return min(c, maxWait)
	}
	waits := map[int][]time.Duration{} // attempt n -> waits after it failed
	var lastSuccess time.Time
	for _, id := range ids {
		ds, err := st.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
		if err != nil {
			t.Fatal(err)
		}
		as, err := st.Attempts(context.Background(), ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range as[:len(as)-1] {
			if a.Status != http.StatusServiceUnavailable {
				t.Errorf("event %s attempt %d: status %d before the last, want 503", id, a.N, a.Status)
			}
			w := as[i+1].StartedAt.Sub(a.StartedAt.Add(a.Duration))
			waits[a.N] = append(waits[a.N], w)
			if w > ceiling(a.N)+slack {
				t.Errorf("event %s: waited %v after attempt %d, over its ceiling %v (+%v slack)", id, w, a.N, ceiling(a.N), slack)
			}
		}
		last := as[len(as)-1]
		if last.Status != http.StatusOK || last.StartedAt.Before(up.Add(-time.Second)) {
			t.Errorf("event %s: last attempt %d at %v got %d, want 200 after the sink came back", id, last.N, last.StartedAt.Sub(up), last.Status)
		}
		if last.StartedAt.After(lastSuccess) {
			lastSuccess = last.StartedAt
		}
	}
	// Once back, each delivery was due within one capped wait.
	if d := lastSuccess.Sub(up); d > maxWait+slack {
		t.Errorf("last delivery %v after the sink came back, want within max (%v) + slack", d, maxWait)
	}
	var summary []string
	for n := 1; len(waits[n]) >= events/2; n++ {
		var sum time.Duration
		for _, w := range waits[n] {
			sum += w
		}
		mean, c := sum/time.Duration(len(waits[n])), ceiling(n)
		summary = append(summary, fmt.Sprintf("n=%d mean %v (ceiling %v)", n, mean.Round(time.Millisecond), c))
		// Full jitter averages half the ceiling.
		if mean < c/5 || mean > c*4/5+slack/2 {
			t.Errorf("attempt %d: mean wait %v over %d deliveries, want about half the ceiling %v", n, mean, len(waits[n]), c)
		}
	}
	if len(summary) < 6 {
		t.Errorf("only %d attempt numbers with enough samples; the outage should take about 9 attempts", len(summary))
	}
	t.Logf("waits after each failed attempt: %s; all delivered %v after the sink came back",
		strings.Join(summary, ", "), lastSuccess.Sub(up).Round(time.Millisecond))
}
