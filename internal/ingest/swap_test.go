package ingest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// post sends an unsigned event to /in/{source} and returns the status.
func post(h http.Handler, source string) int {
	r := httptest.NewRequest(http.MethodPost, "/in/"+source, strings.NewReader(`{}`))
	r.SetPathValue("source", source)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// SetSources applies to the next request: an added source answers, a
// removed one is 404, and a changed router routes the next event.
func TestSetSourcesSwitchesTheNextRequest(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	h := New([]Source{
		{Name: "orders", MaxBody: 1024, Router: staticRouter{"app"}},
		{Name: "old", MaxBody: 1024},
	}, st, Options{})
	if got := post(h, "orders"); got != http.StatusOK {
		t.Fatalf("before: orders = %d, want 200", got)
	}
	h.SetSources([]Source{
		{Name: "orders", MaxBody: 1024, Router: staticRouter{"app2", "audit"}},
		{Name: "billing", MaxBody: 1024, Router: staticRouter{"ledger"}},
	})
	for _, tt := range []struct {
		source string
		want   int
	}{{"orders", 200}, {"billing", 200}, {"old", 404}} {
		if got := post(h, tt.source); got != tt.want {
			t.Errorf("after: %s = %d, want %d", tt.source, got, tt.want)
		}
	}
	want := [][]string{{"app"}, {"app2", "audit"}, {"ledger"}}
	if diff := cmp.Diff(want, st.dests); diff != "" {
		t.Errorf("routed destinations (-want +got):\n%s", diff)
	}
}

// blockingRouter routes to its destination once the test lets it.
type blockingRouter struct {
	dest    string
	entered chan struct{}
	release chan struct{}
}

func (b blockingRouter) Routes(*event.Event) []store.Route {
	close(b.entered)
	<-b.release
	return []store.Route{{Destination: b.dest}}
}

// A request already past the source lookup finishes with the source it
// found, even when SetSources removes it meanwhile.
func TestSetSourcesKeepsRequestsInFlight(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	br := blockingRouter{dest: "old-dest", entered: make(chan struct{}), release: make(chan struct{})}
	h := New([]Source{{Name: "orders", MaxBody: 1024, Router: br}}, st, Options{})
	done := make(chan int)
	go func() { done <- post(h, "orders") }()
	<-br.entered
	h.SetSources([]Source{{Name: "billing", MaxBody: 1024, Router: staticRouter{"new-dest"}}})
	if got := post(h, "orders"); got != http.StatusNotFound {
		t.Errorf("a new request to the removed source = %d, want 404", got)
	}
	close(br.release)
	if got := <-done; got != http.StatusOK {
		t.Errorf("the request in flight = %d, want 200", got)
	}
	if diff := cmp.Diff([][]string{{"old-dest"}}, st.dests); diff != "" {
		t.Errorf("routed destinations (-want +got):\n%s", diff)
	}
}

// Requests from many goroutines while the sources are swapped all the time
// are all answered 200, each routed by one whole version of the sources.
// Run with -race.
func TestSetSourcesUnderLoad(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	version := func(n int) []Source {
		return []Source{{Name: "orders", MaxBody: 1024, Router: staticRouter{fmt.Sprintf("v%d-a", n), fmt.Sprintf("v%d-b", n)}}}
	}
	h := New(version(0), st, Options{})
	const senders, each = 8, 200
	var wg sync.WaitGroup
	failed := make(chan int, senders*each)
	for range senders {
		wg.Go(func() {
			for range each {
				if code := post(h, "orders"); code != http.StatusOK {
					failed <- code
				}
			}
		})
	}
	stop := make(chan struct{})
	swapped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				swapped <- n
				return
			default:
			}
			n++
			h.SetSources(version(n))
		}
	}()
	wg.Wait()
	close(stop)
	n := <-swapped
	close(failed)
	for code := range failed {
		t.Errorf("a request was answered %d, want 200", code)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.dests) != senders*each {
		t.Fatalf("stored %d events, want %d", len(st.dests), senders*each)
	}
	for _, d := range st.dests {
		if len(d) != 2 || strings.TrimSuffix(d[0], "-a") != strings.TrimSuffix(d[1], "-b") {
			t.Errorf("an event was routed to %v, not by one version of the sources", d)
		}
	}
	t.Logf("%d swaps during %d requests", n, senders*each)
}
