package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Every request that got a 2xx before a SIGKILL is delivered after a restart
// on the same data: zero acknowledged events lost. Duplicates at the sink are
// allowed only with the same event id (and so the same body).
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A sink slower than ingest, so that a backlog (some of it leased) is
	// pending when the gateway dies.
	sk := newSink(t)
	sk.delay = time.Millisecond
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
# Leases the killed process held come due again after this long.
delivery: { lease: 6s }
sources:
  - { name: github, provider: github, secret: crash-secret }
destinations:
  - { name: app, url: %q, timeout: 2s, concurrency: 2, retry: { max_attempts: 20, initial: 50ms, max: 1s } }
routes:
  - { from: [github], to: [app] }
`, filepath.Join(dir, "hookgate.db"), sk.url))

	g := start(t, cfg)
	var (
		mu    sync.Mutex
		acked = map[string][]byte{} // event id -> body
		sent  = map[string]bool{}   // every body sent, acked or not
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := []byte(fmt.Sprintf(`{"worker":%d,"n":%d,"pad":"%s"}`, w, i, bytes.Repeat([]byte("x"), 512)))
				mu.Lock()
				sent[string(body)] = true
				mu.Unlock()
				req := signed(t, "github", "crash-secret", g.url("/in/github"), body,
					http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {fmt.Sprintf("d-%d-%d", w, i)}})
				resp, err := client.Do(req)
				if err != nil {
					continue // the gateway died under us: not acknowledged
				}
				var a struct{ ID, Status string }
				err = json.NewDecoder(resp.Body).Decode(&a)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusOK && a.ID != "" {
					mu.Lock()
					acked[a.ID] = body
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	g.kill() // SIGKILL mid-load
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < 100 {
		t.Fatalf("only %d requests acknowledged before the kill; the test needs load", n)
	}
	backlog := 0
	for id := range acked {
		if !sk.has(id) {
			backlog++
		}
	}
	t.Logf("%d requests acknowledged before SIGKILL, %d of them not yet delivered", n, backlog)
	if backlog == 0 {
		t.Fatal("no backlog at the kill: the test would not exercise recovery")
	}

	restarted := time.Now()
	g2 := start(t, cfg)
	delivered := func() map[string][]byte {
		m := map[string][]byte{}
		for _, r := range sk.snapshot() {
			m[r.EventID] = r.Body
		}
		return m
	}
	waitFor(t, 60*time.Second, "every acknowledged event at the sink", func() bool {
		d := delivered()
		for id := range acked {
			if _, ok := d[id]; !ok {
				return false
			}
		}
		return true
	})
	t.Logf("all acknowledged events delivered %v after the restart", time.Since(restarted).Round(time.Millisecond))
	g2.stop()

	lost := 0
	for id, body := range acked {
		if got := delivered()[id]; !bytes.Equal(got, body) {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged events lost or altered", lost, n)
	}
	// Every delivery at the sink carries an event id whose body is always the
	// same and is one that was sent: duplicates only with the same id.
	seen := map[string][]byte{}
	for _, r := range sk.snapshot() {
		if prev, ok := seen[r.EventID]; ok && !bytes.Equal(prev, r.Body) {
			t.Errorf("event id %s delivered with two different bodies", r.EventID)
		}
		seen[r.EventID] = r.Body
		if !sent[string(r.Body)] {
			t.Errorf("sink got a body that was never sent: %.60q", r.Body)
		}
	}
}
