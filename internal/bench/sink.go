package bench

import (
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sink is the end-to-end benchmark's destination: a bare HTTP handler that
// answers 200 to every request and counts the distinct events it receives
// (by their Webhook-Id header, the event id hookgate sends with every
// delivery), so a run can report how fast events get from the load generator
// through the gateway to a service, and whether the gateway's queue keeps up.
type Sink struct {
	now func() time.Time

	mu   sync.Mutex
	seen map[[16]byte]struct{}
	lat  histogram // receive time minus the event id's time (UUIDv7 ms)

	delivered  atomic.Int64 // distinct events
	duplicates atomic.Int64 // repeats of an event already received
	unknown    atomic.Int64 // requests without a UUID Webhook-Id
	last       atomic.Int64 // unix nanoseconds of the last new event
}

// NewSink returns an empty sink.
func NewSink() *Sink {
	return &Sink{now: time.Now, seen: make(map[[16]byte]struct{}, 1<<16)}
}

// ServeHTTP reads the body, counts the event and answers 200.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	id, ok := parseUUID(r.Header.Get("Webhook-Id"))
	if !ok {
		s.unknown.Add(1)
		w.WriteHeader(http.StatusOK)
		return
	}
	now := s.now()
	s.mu.Lock()
	_, dup := s.seen[id]
	if !dup {
		s.seen[id] = struct{}{}
		// A UUIDv7 starts with its unix time in milliseconds.
		ms := int64(id[0])<<40 | int64(id[1])<<32 | int64(id[2])<<24 | int64(id[3])<<16 | int64(id[4])<<8 | int64(id[5])
		if d := now.Sub(time.UnixMilli(ms)); d >= 0 {
			s.lat.record(d)
		}
	}
	s.mu.Unlock()
	if dup {
		s.duplicates.Add(1)
	} else {
		s.delivered.Add(1)
		s.last.Store(now.UnixNano())
	}
	w.WriteHeader(http.StatusOK)
}

// Delivered counts the distinct events received so far.
func (s *Sink) Delivered() int64 { return s.delivered.Load() }

// Duplicates counts requests that repeated an event already received (an
// at-least-once gateway may repeat some after a crash; none are expected
// in a clean run).
func (s *Sink) Duplicates() int64 { return s.duplicates.Load() }

// LastAt is when the last new event arrived (zero if none yet).
func (s *Sink) LastAt() time.Time {
	if n := s.last.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Unknown counts requests that carried no event id.
func (s *Sink) Unknown() int64 { return s.unknown.Load() }

// Latency returns percentiles of the end-to-end latency: from the event's
// id (the gateway's receive time, to the millisecond) to its first arrival
// here.
func (s *Sink) Latency() (p50, p99, max time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lat.quantile(0.50), s.lat.quantile(0.99), s.lat.max
}

// parseUUID parses the canonical 36-character form.
func parseUUID(v string) (id [16]byte, ok bool) {
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return id, false
	}
	h := strings.ReplaceAll(v, "-", "")
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, false
	}
	return id, true
}
