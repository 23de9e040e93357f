package sqlite

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// crashEnv names the database a re-executed test binary ingests into until
// it is killed.
const crashEnv = "HOOKGATE_SQLITE_CRASH_DB"

// TestCrash runs a child process that ingests from many goroutines and prints
// each id once Ingest has returned, kills it with SIGKILL mid-stream, then
// reopens the database: every printed id must be there, and a provider's
// retry of each (same delivery id) must be its duplicate.
//
// SIGKILL proves that no answer comes before the commit reaches the OS.
// That the commit is also fsynced before the answer (so it survives power
// loss) is what TestAckAfterFsync proves.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "hookgate.db")
	// Three lives: each child also starts on what the last one left behind.
	var acked []string
	for range 3 {
		acked = append(acked, runAndKill(t, path)...)
	}

	s := open(t, path, Options{})
	defer s.Close()
	for _, id := range acked {
		if _, err := s.Event(t.Context(), id); err != nil {
			t.Fatalf("acknowledged event %s lost in the crash: %v", id, err)
		}
		retry := newEvent(0)
		retry.DeliveryID = "d-" + id
		res, err := s.Ingest(t.Context(), retry, routesTo("app"))
		if err != nil || !res.Duplicate || res.EventID != id {
			t.Fatalf("retry of acknowledged event %s = %+v, %v; want its duplicate", id, res, err)
		}
	}
	checkIntegrity(t, s)
	t.Logf("%d acknowledged events all survived SIGKILL", len(acked))
}

// runAndKill starts a child ingesting into path, SIGKILLs it once it has
// acknowledged 2000 events, and returns every id it acknowledged.
func runAndKill(t *testing.T, path string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 2000
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue
		}
		acked = append(acked, id)
		if len(acked) == killAfter {
			// Lines printed before the kill are still read below.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("child acknowledged %d ingests before exiting (%v), want %d; stderr:\n%s",
			len(acked), err, killAfter, stderr.String())
	}
	return acked
}

// crashChild ingests until killed, printing "acked <id>" after each Ingest
// returns.
func crashChild(path string) {
	// Small checkpoints, so the kill may land in one, or in a WAL restart.
	s, err := Open(context.Background(), path, Options{checkpointPages: 16})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(2)
	}
	body := make([]byte, 2<<10)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				ev := newEvent(w*1_000_000 + i)
				ev.DeliveryID = "d-" + ev.ID
				ev.Body = append(body[:len(body):len(body)], ev.Body...)
				if _, err := s.Ingest(context.Background(), ev, routesTo("app", "audit")); err != nil {
					os.Stderr.WriteString(err.Error())
					os.Exit(2)
				}
				mu.Lock()
				os.Stdout.WriteString("acked " + ev.ID + "\n")
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
