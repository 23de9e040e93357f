package deliver

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/sqlite"
)

func TestAsSent(t *testing.T) {
	t.Parallel()
	ev := &event.Event{
		ID:     "e",
		Header: http.Header{"Content-Type": {"application/json"}, "X-A": {"a"}},
		Body:   []byte(`{"ref":"main"}`),
	}
	tests := []struct {
		name string
		del  event.Delivery
		want *event.Event
	}{
		{"no transform", event.Delivery{}, ev},
		{"body", event.Delivery{Body: []byte("hi")},
			&event.Event{ID: "e", Header: ev.Header, Body: []byte("hi")}},
		{"empty body", event.Delivery{Body: []byte{}},
			&event.Event{ID: "e", Header: ev.Header, Body: []byte{}}},
		{"headers", event.Delivery{Header: http.Header{"Content-Type": {"text/plain"}, "X-B": {"b"}}},
			&event.Event{ID: "e", Body: ev.Body,
				Header: http.Header{"Content-Type": {"text/plain"}, "X-A": {"a"}, "X-B": {"b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, asSent(ev, tt.del)); diff != "" {
				t.Errorf("asSent (-want +got):\n%s", diff)
			}
		})
	}
	if got := ev.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("the shared event was changed: Content-Type %q", got)
	}
	if got := asSent(&event.Event{}, event.Delivery{Header: http.Header{"X-B": {"b"}}}); got.Header.Get("X-B") != "b" {
		t.Errorf("an event without headers got %v", got.Header)
	}
}

// With a one-hour poll, deliveries of one ordering key still go one after
// the other at once: a finished delivery wakes the loop for the next.
func TestFinishedDeliveryWakesTheLoop(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := newSink(t, 200)
	w, err := New(Config{
		Store: st, Targets: map[string]Target{"app": s.target(t, Policy{})},
		Poll: time.Hour, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const n = 3
	for i := range n {
		ev := testEvent(event.NewID(), now.Add(time.Duration(i)-time.Second))
		if _, err := st.Ingest(t.Context(), ev, []store.Route{{Destination: "app", OrderingKey: "k"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	waitFor(t, "every delivery of the key", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.seen) == n
	})
}
