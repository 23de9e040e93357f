package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// downURL returns the URL of a port nothing listens on: connections to it
// are refused.
func downURL(t *testing.T) string {
	t.Helper()
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hooks"
}

// One event fans out to three destinations, one of them down: the two
// others get it once, the down one is retried max_attempts times and then
// the delivery is dead, with every attempt recorded.
func TestFanOutOneDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	up1, up2 := newSink(t), newSink(t)
	db := filepath.Join(dir, "hookgate.db")
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: "127.0.0.1:0"
storage: { driver: sqlite, path: %q }
delivery: { poll: 20ms }
sources:
  - { name: orders, provider: hmac, secret: s3cret, hmac: { header: x-hmac } }
destinations:
  - { name: up1, url: %q, timeout: 2s, headers: { Authorization: "Bearer t0ken" } }
  - { name: up2, url: %q, timeout: 2s }
  - { name: down, url: %q, timeout: 2s, retry: { max_attempts: 3, initial: 20ms, max: 50ms } }
routes:
  - { from: [orders], to: [up1, up2, down] }
`, db, up1.url, up2.url, downURL(t)))
	g := start(t, cfg)
	var ids []string
	for i := range 5 {
		id, _ := accepted(t, signed(t, "hmac", "s3cret", g.url("/in/orders"), fmt.Appendf(nil, `{"n":%d}`, i), nil))
		ids = append(ids, id)
	}
	waitFor(t, 20*time.Second, "both live sinks to get every event", func() bool { return up1.count() == 5 && up2.count() == 5 })
	s := openStore(t, db) // beside the running gateway, as `hookgate dead` is
	waitFor(t, 20*time.Second, "the down destination's deliveries to die", func() bool {
		ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{Destination: "down", State: event.Dead})
		return err == nil && len(ds) == 5
	})
	time.Sleep(200 * time.Millisecond) // room for a wrong extra attempt to show
	g.stop()

	for _, sk := range []*sink{up1, up2} {
		for _, id := range ids {
			if n := sk.byIDCount(id); n != 1 {
				t.Errorf("event %s reached a live sink %d times, want once", id, n)
			}
		}
	}
	for _, id := range ids {
		ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{EventID: id})
		if err != nil || len(ds) != 3 {
			t.Fatalf("event %s: deliveries %v, %v; want 3", id, ds, err)
		}
		for _, d := range ds {
			as, err := s.Attempts(context.Background(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch d.Destination {
			case "down":
				if d.State != event.Dead || len(as) != 3 {
					t.Errorf("down: %s after %d attempts, want dead after 3", d.State, len(as))
				}
				for _, a := range as {
					if !strings.Contains(a.Error, "refused") || a.Request.Method != http.MethodPost || a.Request.URL == "" {
						t.Errorf("down attempt %d: error %q, request %+v; want refused, with the request recorded", a.N, a.Error, a.Request)
					}
				}
			default:
				if d.State != event.Succeeded || len(as) != 1 {
					t.Errorf("%s: %s after %d attempts, want succeeded after 1", d.Destination, d.State, len(as))
					continue
				}
				a := as[0]
				if a.Status != 200 || a.Request.Header.Get("Webhook-Id") != id || a.ResponseHeader == nil {
					t.Errorf("%s attempt: status %d, request %+v, response header %v", d.Destination, a.Status, a.Request, a.ResponseHeader)
				}
				if d.Destination == "up1" && a.Request.Header.Get("Authorization") != "[redacted]" {
					t.Errorf("up1 attempt: Authorization %q recorded, want it redacted", a.Request.Header.Get("Authorization"))
				}
			}
		}
	}
}

func (s *sink) byIDCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}
