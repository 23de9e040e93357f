package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// adminToken is the management API token of the e2e configs that use the
// API commands.
const adminToken = "e2e-admin-token-0123456789"

// apiConfig is the api section that lets adminToken in.
const apiConfig = "api: { tokens: [ { name: ops, token: " + adminToken + ", scope: admin } ] }\n"

// hookgateAPI runs an API command of the binary against g, as hookgate does.
func hookgateAPI(t *testing.T, g *gateway, args ...string) string {
	t.Helper()
	return hookgate(t, append(args, "--gateway", g.url(""), "--token", adminToken)...)
}

// hookgate runs the binary with args and returns its combined output,
// failing the test if it fails.
func hookgate(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("hookgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// received lists the event ids a sink got, sorted.
func (s *sink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, r := range s.got {
		ids = append(ids, r.EventID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// Dead letters retried in bulk with a filter, and events replayed in bulk
// and by id, are delivered exactly: the selected set, each once, and
// nothing else.
func TestBulkRetryAndReplay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := newSink(t), newSink(t)
	a.failNext, b.failNext = 1<<30, 1<<30 // both down
	db := filepath.Join(dir, "hookgate.db")
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
  - { name: shop, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: a, url: %q, timeout: 2s, retry: { max_attempts: 1 } }
  - { name: b, url: %q, timeout: 2s, retry: { max_attempts: 1 } }
routes:
  - { from: [orders], to: [a, b] }
  - { from: [shop], to: [a] }
`+apiConfig, db, a.url, b.url))
	g := start(t, cfg)
	send := func(source string, n int) []string {
		var ids []string
		for i := range n {
			id, _ := accepted(t, signed(t, "hmac", "s3cret", g.url("/in/"+source), fmt.Appendf(nil, `{"%s":%d}`, source, i), nil))
			ids = append(ids, id)
		}
		return ids
	}
	orders, shop := send("orders", 4), send("shop", 3)
	st := openStore(t, db)
	deadCount := func(f store.DeadFilter) int {
		n, err := st.CountDead(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, 20*time.Second, "all 11 deliveries to die", func() bool { return deadCount(store.DeadFilter{}) == 11 })

	// The sinks come back. Only what is retried or replayed is delivered.
	for _, s := range []*sink{a, b} {
		s.mu.Lock()
		s.failNext = 0
		s.mu.Unlock()
	}
	if out := hookgateAPI(t, g, "dead", "retry", "--all", "--source", "orders", "--destination", "a"); out != "retried 4 dead deliveries\n" {
		t.Errorf("dead retry --all printed:\n%s", out)
	}
	waitFor(t, 20*time.Second, "the 4 retried deliveries", func() bool { return a.count() >= 4 })

	// One of shop's dead deliveries is discarded: a bulk retry of shop's
	// leaves it out.
	ds, err := st.Deliveries(context.Background(), store.DeliveryFilter{EventID: shop[0]})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of %s: %v, %v", shop[0], ds, err)
	}
	hookgateAPI(t, g, "dead", "discard", ds[0].ID)
	if out := hookgateAPI(t, g, "dead", "retry", "--all", "--source", "shop"); out != "retried 2 dead deliveries\n" {
		t.Errorf("dead retry --all --source shop printed:\n%s", out)
	}
	waitFor(t, 20*time.Second, "shop's 2 retried deliveries", func() bool { return a.count() >= 6 })

	// Replays: shop's events to b (which they never went to), and one
	// order by id, to its destinations.
	if out := hookgateAPI(t, g, "replay", "--source", "shop", "--to", "b"); out != "replayed 3 events: 3 new deliveries\n" {
		t.Errorf("replay --source shop printed:\n%s", out)
	}
	if out := hookgateAPI(t, g, "replay", orders[1]); out != fmt.Sprintf("replayed %s to a, b\n", orders[1]) {
		t.Errorf("replay by id printed:\n%s", out)
	}
	waitFor(t, 20*time.Second, "the replays", func() bool { return a.count() >= 7 && b.count() >= 4 })
	time.Sleep(300 * time.Millisecond) // room for anything unselected to show
	g.stop()

	if diff := sorted(append(slices.Clone(orders), shop[1], shop[2], orders[1])...); !slices.Equal(a.ids(), diff) {
		t.Errorf("sink a got %v, want %v", a.ids(), diff)
	}
	if want := sorted(append(slices.Clone(shop), orders[1])...); !slices.Equal(b.ids(), want) {
		t.Errorf("sink b got %v, want %v", b.ids(), want)
	}
	if n := deadCount(store.DeadFilter{}); n != 4 {
		t.Errorf("%d dead deliveries left, want 4 (orders to b, never retried)", n)
	}
	if d, _ := st.Delivery(context.Background(), ds[0].ID); d.State != event.Discarded {
		t.Errorf("discarded delivery is %s", d.State)
	}
}
