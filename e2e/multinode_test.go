package e2e

import (
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
)

// Three nodes on one PostgreSQL database take load round-robin; one is
// killed with SIGKILL mid-load. Every acknowledged event, on any node, is
// delivered: the dead node's leases expire and the others take them over.
// Duplicates at the sink only with the same event id.
func TestMultiNodeKill(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Database(t)
	sk := newSink(t)
	const secret = "multinode-secret"
	cfg := writeConfig(t, t.TempDir(), pgConfig(dsn, secret, sk.url))
	nodes := []*gateway{start(t, cfg), start(t, cfg), start(t, cfg)}
	urls := make([]string, len(nodes))
	for i, g := range nodes {
		urls[i] = "http://" + g.addr
	}

	l := startLoad(t, 12, secret, urls...)
	time.Sleep(2 * time.Second)
	nodes[1].kill() // SIGKILL mid-load: leases held, deliveries in flight
	killedAt := time.Now()
	time.Sleep(2 * time.Second)
	l.halt()

	l.mu.Lock()
	acked, byURL, failed := len(l.acked), l.byURL, l.failed
	l.mu.Unlock()
	t.Logf("%d acknowledged (by node: %v), %d requests found their node dead, %d acknowledged after the kill",
		acked, byURL, failed, l.ackedSince(killedAt))
	for _, u := range urls {
		if byURL[u] < 50 {
			t.Fatalf("node %s acknowledged %d events; the test needs load on every node", u, byURL[u])
		}
	}
	if l.ackedSince(killedAt) < 50 {
		t.Fatalf("only %d acknowledged after the kill; the survivors must keep ingesting", l.ackedSince(killedAt))
	}
	checkDelivered(t, sk, l, 60*time.Second)
	nodes[0].stop()
	nodes[2].stop()
}
