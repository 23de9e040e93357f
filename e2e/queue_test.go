package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// An event sent to the gateway lands in a Redis stream, as a worker reading
// the stream sees it; and the gateway, holding a broker connection, still
// stops cleanly.
func TestQueueDestination(t *testing.T) {
	t.Parallel()
	addr := os.Getenv("HOOKGATE_TEST_REDIS_ADDR")
	if addr == "" {
		msg := "HOOKGATE_TEST_REDIS_ADDR is not set: no Redis to test against (run ./test.sh, or eval \"$(scripts/queue-test-servers.sh start)\")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	stream := fmt.Sprintf("hookgate-e2e:%d", time.Now().UnixNano())
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
sources:
  - { name: github, provider: github, secret: %s }
destinations:
  - name: workers
    redis: { addr: %q, stream: %q, maxlen: 1000 }
    headers: { X-Team: core }
routes:
  - { from: [github], to: [workers] }
`, filepath.Join(dir, "hookgate.db"), githubSecret, addr, stream))
	g := start(t, cfg)

	body := []byte("{\"ref\":\"refs/heads/main\",\"msg\":\"h\u00e9llo\"}\r\n")
	id, st := accepted(t, signed(t, "github", githubSecret, g.url("/in/github"), body,
		http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {"d6a1c0e2-0000-4000-8000-000000000001"}}))
	if st != "accepted" {
		t.Fatalf("status %q, want accepted", st)
	}

	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	res, err := rc.XRead(t.Context(), &redis.XReadArgs{Streams: []string{stream, "0"}, Count: 1, Block: 10 * time.Second}).Result()
	if err != nil {
		t.Fatalf("XREAD %s: %v\nstderr:\n%s", stream, err, g.stderr.String())
	}
	v := res[0].Messages[0].Values
	for field, want := range map[string]string{
		"body": string(body), "Webhook-Id": id, "Hookgate-Source": "github", "Hookgate-Event-Type": "push", "X-Team": "core",
	} {
		if v[field] != want {
			t.Errorf("entry field %s = %q, want %q", field, v[field], want)
		}
	}
	g.stop()
}
