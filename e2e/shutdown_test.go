package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowSink answers 200 after a delay and records event ids.
type slowSink struct {
	delay time.Duration
	mu    sync.Mutex
	ids   map[string]int
	hits  atomic.Int64
}

func (s *slowSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	time.Sleep(s.delay)
	s.mu.Lock()
	s.ids[r.Header.Get("Webhook-Id")]++
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *slowSink) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id] > 0
}

// SIGTERM under load: the process stops accepting, finishes acknowledged
// writes, lets in-flight deliveries finish, releases the rest, and exits 0;
// a restart delivers everything that was acknowledged.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sk := &slowSink{delay: 300 * time.Millisecond, ids: map[string]int{}}
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
server: { shutdown_timeout: 10s }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: app, url: %q, timeout: 5s, concurrency: 2 }
routes:
  - { from: [orders], to: [app] }
`, filepath.Join(dir, "hookgate.db"), serveLocal(t, sk)))
	g := start(t, cfg)

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				req := signed(t, "hmac", "s3cret", g.url("/in/orders"), []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)), nil)
				resp, err := client.Do(req)
				if err != nil {
					return // the listener closed: not acknowledged
				}
				id, ok := decodeAccepted(resp)
				if ok {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}(w)
	}
	waitFor(t, 10*time.Second, "deliveries in flight", func() bool { return sk.hits.Load() >= 2 })
	began := time.Now()
	g.stop() // SIGTERM; stop fails the test unless the exit is clean
	if took := time.Since(began); took > 8*time.Second {
		t.Errorf("shutdown took %v; in-flight deliveries take 300ms each", took)
	}
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n == 0 {
		t.Fatal("nothing was acknowledged before the shutdown")
	}

	// Released leases are due at once: a restart delivers the rest promptly
	// (not after the 1m lease would have expired).
	g2 := start(t, cfg)
	waitFor(t, 30*time.Second, fmt.Sprintf("all %d acknowledged events at the sink", n), func() bool {
		for _, id := range acked {
			if !sk.has(id) {
				return false
			}
		}
		return true
	})
	g2.stop()
}
