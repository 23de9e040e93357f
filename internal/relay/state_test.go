package relay

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/listen"
)

func entry(i, attempt int) Entry {
	return Entry{EventID: fmt.Sprintf("ev%d", i), At: time.Unix(int64(i), 0).UTC(),
		Report: listen.Report{DeliveryID: fmt.Sprintf("d%d", i), Attempt: attempt, Status: 200, Body: []byte("ok")}}
}

// The state survives a restart, remembers the last N attempts, is
// compacted when its file doubles, and skips a line cut short by a crash.
func TestState(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "state.jsonl")
	s, err := OpenState(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := s.Save(entry(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.Lookup("d1", 1); ok {
		t.Error("d1 remembered, want forgotten (only the last 3 are kept)")
	}
	if e, ok := s.Lookup("d4", 1); !ok || e.Report.Status != 200 || e.EventID != "ev4" {
		t.Errorf("Lookup(d4, 1) = %+v, %v; want it", e, ok)
	}
	if _, ok := s.Lookup("d4", 2); ok {
		t.Error("Lookup(d4, 2) found; attempts are told apart")
	}
	s.Close()
	if got := lines(t, path); got != 5 {
		t.Errorf("file has %d lines, want 5 (compacted past 6)", got)
	}

	// A crash cut the last write short.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"event_id":"ev9","report":{"deliv`)
	f.Close()
	s, err = OpenState(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 3 {
		t.Errorf("after reopening: %d remembered, want 3", s.Len())
	}
	if _, ok := s.Lookup("d3", 1); !ok {
		t.Error("d3 forgotten across a restart")
	}
	if err := s.Save(entry(5, 1)); err != nil { // 7 lines: compacted to 3
		t.Fatal(err)
	}
	if got := lines(t, path); got != 3 {
		t.Errorf("after compaction: %d lines, want 3", got)
	}
	if _, ok := s.Lookup("d5", 1); !ok {
		t.Error("d5 not remembered after compaction")
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// Whatever the state file holds, OpenState neither fails nor panics, and
// what it remembers has a delivery id.
func FuzzOpenState(f *testing.F) {
	f.Add([]byte(`{"event_id":"e","report":{"delivery_id":"d","attempt":1,"status":200}}` + "\n"))
	f.Add([]byte("garbage\n{}\n\n"))
	f.Add([]byte(`{"report":{"delivery_id":"d","attempt":-1,"body":"!!"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "state.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenState(path, 4)
		if err != nil {
			if strings.Contains(err.Error(), "token too long") {
				return // a line over 1 MiB
			}
			t.Fatalf("OpenState: %v", err)
		}
		defer s.Close()
		for _, e := range s.m {
			if e.Report.DeliveryID == "" {
				t.Errorf("remembered an entry without a delivery id: %+v", e)
			}
		}
		if s.Len() > 4 {
			t.Errorf("remembers %d, want at most 4", s.Len())
		}
	})
}
