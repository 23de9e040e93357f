package e2e

import (
	"net/http"
	"testing"
	"time"
)

// PostgreSQL stops (pg_ctl stop -m fast) under load and starts again. While
// it is down, ingest answers 503 with Retry-After and /readyz 503; when it is
// back, the same hookgate process acknowledges again, without a restart, and
// every event acknowledged before, during or after is delivered.
func TestPostgresRestartUnderLoad(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	pg := startPGCluster(t)
	sk := newSink(t)
	const secret = "pgrestart-secret"
	g := start(t, writeConfig(t, t.TempDir(), pgConfig(pg.dsn, secret, sk.url)))

	l := startLoad(t, 8, secret, "http://"+g.addr)
	time.Sleep(1500 * time.Millisecond)
	pg.ctl("stop")
	stoppedAt := time.Now()
	l.mu.Lock()
	before503 := l.status[http.StatusServiceUnavailable]
	l.mu.Unlock()
	time.Sleep(2 * time.Second)
	if status := readyz(t, g); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while PostgreSQL is down: %d, want 503", status)
	}
	// Requests in flight when the server stopped may still have been
	// committed and answered just after; past that, nothing is acknowledged.
	ackedDown := l.ackedBetween(stoppedAt.Add(500*time.Millisecond), time.Now())
	pg.ctl("start")
	startedAt := time.Now()
	waitFor(t, 30*time.Second, "acknowledgements after PostgreSQL came back", func() bool {
		return l.ackedSince(startedAt) >= 200
	})
	l.halt()
	if status := readyz(t, g); status != http.StatusOK {
		t.Errorf("/readyz after PostgreSQL is back: %d, want 200", status)
	}

	ackedAfter := l.ackedSince(startedAt)
	l.mu.Lock()
	t.Logf("answers by status %v; %d acknowledged in all, %d after the restart; %d 503s while down",
		l.status, len(l.acked), ackedAfter, l.status[http.StatusServiceUnavailable]-before503)
	if l.status[http.StatusServiceUnavailable] == 0 {
		t.Error("no 503 while PostgreSQL was down")
	}
	if l.noRetry > 0 {
		t.Errorf("%d 503 answers without Retry-After", l.noRetry)
	}
	l.mu.Unlock()
	if ackedDown > 0 {
		t.Errorf("%d requests acknowledged while PostgreSQL was down", ackedDown)
	}
	checkDelivered(t, sk, l, 60*time.Second)
	g.stop()
}

func readyz(t *testing.T, g *gateway) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.url("/readyz"), nil)
	if err != nil {
		t.Fatal(err)
	}
	status, _ := do(t, req)
	return status
}
