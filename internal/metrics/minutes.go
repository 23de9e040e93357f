package metrics

import (
	"sync"
	"time"
)

// Minute counts the requests of one clock minute.
type Minute struct {
	// Start is the minute's first instant.
	Start time.Time
	// Accepted counts requests that stored a new event.
	Accepted int
	// Rejected counts requests refused and recorded as rejections (bad
	// signature, failed auth, missing header, body too large).
	Rejected int
}

// window is how many minutes are kept.
const window = 60

// minutes is a ring of per-minute counts, one slot per minute of the last
// hour.
type minutes struct {
	mu    sync.Mutex
	slots [window]slot
}

type slot struct {
	minute             int64 // Unix minutes; the slot is stale unless it matches
	accepted, rejected int
}

func (r *minutes) add(now time.Time, accepted, rejected int) {
	m := now.Unix() / 60
	r.mu.Lock()
	s := &r.slots[mod(m)]
	if s.minute != m {
		*s = slot{minute: m}
	}
	s.accepted += accepted
	s.rejected += rejected
	r.mu.Unlock()
}

// LastHour returns the counts of the 60 minutes up to and including now's,
// oldest first. Minutes with no requests are there, with zero counts.
func (m *Metrics) LastHour(now time.Time) []Minute {
	return m.hour.last(now)
}

func (r *minutes) last(now time.Time) []Minute {
	cur := now.Unix() / 60
	out := make([]Minute, window)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range out {
		m := cur - window + 1 + int64(i)
		out[i].Start = time.Unix(m*60, 0).In(now.Location())
		if s := r.slots[mod(m)]; s.minute == m {
			out[i].Accepted, out[i].Rejected = s.accepted, s.rejected
		}
	}
	return out
}

// mod is m's slot (non-negative for times before 1970 too).
func mod(m int64) int { return int(((m % window) + window) % window) }
