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
	byID  map[string]kept
	order []string // FIFO: ids from order[head:] are in byID (or were purged)
	head  int
}

// kept is one event and what it counts for in recentEvents.size.
type kept struct {
	ev   *event.Event
	size int
}

func newRecentEvents(max int) *recentEvents {
	return &recentEvents{max: max, byID: make(map[string]kept)}
}

// put keeps a copy of ev as it reads back from the file. Events whose
// headers the file would not keep as they are (text that is not UTF-8
// becomes U+FFFD) are not kept.
func (c *recentEvents) put(ev *event.Event, id string) {
	if c == nil {
		return
	}
	h, hsize, ok := cloneHeader(ev.Header)
	if !ok {
		return
	}
	cp := *ev
	cp.ID = id
	cp.ReceivedAt = fromNanos(nanos(ev.ReceivedAt))
	cp.Body = append(make([]byte, 0, len(ev.Body)), ev.Body...)
	cp.Header = h
	n := 256 + hsize + len(ev.Body) + len(ev.Query) + len(ev.Source) + len(ev.Type) + len(ev.DeliveryID)
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
	c.byID[id] = kept{ev: &cp, size: n}
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
	k, ok := c.byID[id]
	return k.ev, ok
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
	if k, ok := c.byID[id]; ok {
		c.size -= k.size
		delete(c.byID, id)
	}
}

// cloneHeader copies h as the file would read it back (nil becomes empty)
// and sums its size; ok is false when it holds text that is not UTF-8.
func cloneHeader(h http.Header) (clone http.Header, size int, ok bool) {
	clone = make(http.Header, len(h))
	for k, vs := range h {
		if !utf8.ValidString(k) {
			return nil, 0, false
		}
		size += len(k) + 32
		if vs == nil {
			clone[k] = nil
			continue
		}
		cp := make([]string, len(vs))
		for i, v := range vs {
			if !utf8.ValidString(v) {
				return nil, 0, false
			}
			cp[i] = v
			size += len(v) + 16
		}
		clone[k] = cp
	}
	return clone, size, true
}
