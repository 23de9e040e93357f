package postgres

import (
	"context"
	"sync"

	"github.com/hookgate/hookgate/internal/event"
)

// A worker reads each leased delivery's event right after Lease, one Event
// call at a time. Against a server, that is one round trip per delivery
// (about 0.1-0.2 ms here), which capped delivery at ~5k/s in
// docs/benchmarks.md. So Lease reads the events of what it leased in one more
// query, and Event answers from them: a batch of 128 costs two round trips
// instead of 129. Events never change once stored, so a kept copy is never
// stale.

// prefetchBytes caps the bodies kept from one Lease; past it, Event reads
// from the database as usual.
const prefetchBytes = 32 << 20

// eventCache holds the events of the last two Lease calls. Each Lease starts
// a new generation and drops the one before the last, so an event leased but
// never read (its destination was busy) is kept until the next Lease but one.
// Event takes an event out as it answers with it.
type eventCache struct {
	mu        sync.Mutex
	cur, prev map[string]*event.Event
}

func (c *eventCache) put(evs map[string]*event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prev, c.cur = c.cur, evs
}

func (c *eventCache) take(id string) (*event.Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]*event.Event{c.cur, c.prev} {
		if ev, ok := m[id]; ok {
			delete(m, id)
			return ev, true
		}
	}
	return nil, false
}

// forget drops the events with these ids (purged). Only this node's copies:
// a purge on another node leaves them here until two more Leases.
func (c *eventCache) forget(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.cur, id)
		delete(c.prev, id)
	}
}

// prefetch reads the events of ds and keeps them for Event. It is best
// effort: on an error Event reads from the database.
func (s *Store) prefetch(ctx context.Context, ds []event.Delivery) {
	ids := make([]string, 0, len(ds))
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		if !seen[d.EventID] {
			seen[d.EventID] = true
			ids = append(ids, d.EventID)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventCols+` FROM events WHERE id = ANY($1)`, ids)
	if err != nil {
		return
	}
	defer rows.Close()
	evs := make(map[string]*event.Event, len(ids))
	size := 0
	for rows.Next() && size < prefetchBytes {
		ev, err := scanEvent(rows)
		if err != nil {
			return
		}
		evs[ev.ID] = ev
		size += len(ev.Body)
	}
	s.events.put(evs)
}
