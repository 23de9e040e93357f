package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// TestTraceParentOnDisk reads TraceParent back from the file itself: a
// store reopened has no recent events to answer from.
func TestTraceParentOnDisk(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookgate.db")
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traced, plain := newEvent(1), newEvent(2)
	traced.TraceParent = tp
	s := open(t, path, Options{})
	for _, ev := range []*event.Event{traced, plain} {
		if _, err := s.Ingest(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, Options{})
	defer s.Close()
	for _, c := range []struct{ id, want string }{{traced.ID, tp}, {plain.ID, ""}} {
		ev, err := s.Event(context.Background(), c.id)
		if err != nil {
			t.Fatal(err)
		}
		if ev.TraceParent != c.want {
			t.Errorf("TraceParent %q, want %q", ev.TraceParent, c.want)
		}
	}
}

// TestOnCommit checks the commit hook sees every committed request.
func TestOnCommit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var commits, requests int
	var took time.Duration
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), Options{OnCommit: func(n int, d time.Duration) {
		mu.Lock()
		commits++
		requests += n
		took += d
		mu.Unlock()
	}})
	defer s.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := s.Ingest(context.Background(), newEvent(i), []store.Route{{Destination: "app"}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if requests != 20 {
		t.Errorf("hook saw %d requests, want 20", requests)
	}
	if commits < 1 || commits > 20 {
		t.Errorf("hook saw %d commits, want 1 to 20", commits)
	}
	if took <= 0 {
		t.Errorf("commit time %v, want > 0", took)
	}
}
