package sqlite

import (
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/hookgate/hookgate/internal/event"
)

// Under load, a worker reads each event right after it was ingested: a read
// transaction, a b-tree probe and the body copied out of SQLite, about 12 µs
// of CPU and several syscalls per delivery (docs/benchmarks.md). The store is
// the only writer of its file and events never change once stored, so it
// keeps the events it committed last, up to recentBytes, and Event answers
// from them. Past the bound, Event reads the file as before: a burst still
// costs disk, not memory.
const recentBytes = 8 << 20

// recentEvents is a FIFO of the last committed events, bounded by size.
type recentEvents struct {
	mu    sync.Mutex
	max   int
	size  int
	byID  map[string]*event.Event
	order []string // FIFO: ids from order[head:] are in byID (or were purged)
	head  int
}

func newRecentEvents(max int) *recentEvents {
	return &recentEvents{max: max, byID: make(map[string]*event.Event)}
}

// put keeps a copy of ev as it reads back from the file. Events whose
// headers the file would not keep as they are (text that is not UTF-8
// becomes U+FFFD) are not kept.
func (c *recentEvents) put(ev *event.Event, id string) {
	if c == nil || !cacheable(ev.Header) {
		return
	}
	kept := *ev
	kept.ID = id
	kept.ReceivedAt = fromNanos(nanos(ev.ReceivedAt))
	kept.Body = append(make([]byte, 0, len(ev.Body)), ev.Body...)
	kept.Header = ev.Header.Clone()
	if kept.Header == nil {
		kept.Header = http.Header{} // stored as {}
	}
	n := eventSize(&kept)
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.size+n > c.max && c.head < len(c.order) {
		c.drop(c.order[c.head])
		c.order[c.head] = ""
		c.head++
	}
	if c.head > len(c.order)/2 && c.head > 1024 {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
	c.byID[id] = &kept
	c.order = append(c.order, id)
	c.size += n
}

// get returns the kept event with that id. Callers share it and must not
// change it (as with every event a worker gets).
func (c *recentEvents) get(id string) (*event.Event, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, ok := c.byID[id]
	return ev, ok
}

// forget drops the events with these ids (purged from the file).
func (c *recentEvents) forget(ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.drop(id)
	}
}

func (c *recentEvents) drop(id string) {
	if ev, ok := c.byID[id]; ok {
		c.size -= eventSize(ev)
		delete(c.byID, id)
	}
}

// eventSize approximates the memory an event holds.
func eventSize(ev *event.Event) int {
	n := 256 + len(ev.Body) + len(ev.Query) + len(ev.Source) + len(ev.Type) + len(ev.DeliveryID)
	for k, vs := range ev.Header {
		n += len(k) + 32
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return n
}

func cacheable(h http.Header) bool {
	for k, vs := range h {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}
