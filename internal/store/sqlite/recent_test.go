package sqlite

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// TestRecentEventsReadBack checks that an event answered from memory is the
// one a read of the file gives, field for field, for the shapes a request
// can take.
func TestRecentEventsReadBack(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), Options{})
	at := time.Date(2026, 11, 24, 1, 2, 3, 456789012, time.FixedZone("x", 3600))
	cases := map[string]*event.Event{
		"typical": {Source: "github", Method: "POST", Query: "a=1", Type: "push", DeliveryID: "d-1",
			Header: http.Header{"Content-Type": {"application/json"}, "X-Many": {"1", "2"}}, Body: []byte(`{"a":1}`), ReceivedAt: at},
		"empty":       {Source: "github", Method: "GET", Header: http.Header{}, Body: nil, ReceivedAt: at},
		"nil header":  {Source: "github", Method: "POST", Body: []byte{}, ReceivedAt: at},
		"nil values":  {Source: "github", Method: "POST", Header: http.Header{"X-Nil": nil}, Body: []byte("x"), ReceivedAt: at},
		"binary body": {Source: "github", Method: "POST", Header: http.Header{"X": {"y"}}, Body: []byte{0, 0xff, 0xfe}, ReceivedAt: at},
	}
	for name, ev := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := s.Ingest(ctx, ev, []store.Route{{Destination: "d"}})
			if err != nil {
				t.Fatal(err)
			}
			cached, ok := s.recent.get(res.EventID)
			if !ok {
				t.Fatal("event not kept in memory")
			}
			s.recent.forget(res.EventID)
			disk, err := s.Event(ctx, res.EventID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cached, disk) {
				t.Errorf("kept %#v\nfile %#v", cached, disk)
			}
		})
	}
}

func TestRecentEventsNotUTF8Skipped(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "hookgate.db"), Options{})
	ev := &event.Event{Source: "s", Method: "POST", Header: http.Header{"X": {"\xff"}}, Body: []byte("b"), ReceivedAt: time.Now()}
	res, err := s.Ingest(ctx, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.recent.get(res.EventID); ok {
		t.Fatal("an event whose header the file changes was kept")
	}
	got, err := s.Event(ctx, res.EventID)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Header.Get("X"); v != "\ufffd" {
		t.Fatalf("header read back %q", v)
	}
}

func TestRecentEventsBounded(t *testing.T) {
	c := newRecentEvents(10 << 10)
	body := []byte(strings.Repeat("x", 1000))
	for i := range 100 {
		c.put(&event.Event{Body: body}, fmt.Sprint(i))
	}
	if c.size > c.max {
		t.Fatalf("size %d over the bound %d", c.size, c.max)
	}
	if _, ok := c.get("0"); ok {
		t.Error("the oldest event is still kept")
	}
	if _, ok := c.get("99"); !ok {
		t.Error("the newest event is not kept")
	}
	kept := 0
	for i := range 100 {
		if _, ok := c.get(fmt.Sprint(i)); ok {
			kept++
		}
	}
	if kept < 5 || kept != len(c.byID) {
		t.Errorf("kept %d events (map holds %d)", kept, len(c.byID))
	}
	c.put(&event.Event{Body: make([]byte, 20<<10)}, "huge")
	if _, ok := c.get("huge"); ok {
		t.Error("an event over the whole bound was kept")
	}
}
