package deliver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
)

// fakeStore is an in-memory Store that follows the store.Store contract for
// the four methods a Worker uses. Tests set the *Err hooks to inject
// failures.
type fakeStore struct {
	mu         sync.Mutex
	events     map[string]*event.Event
	deliveries map[string]*event.Delivery
	attempts   map[string][]event.Attempt
	tokens     int

	eventCalls    int
	leaseCalls    int
	completeCalls [][]store.Outcome
	releases      []map[string]string
	// problems lists contract violations by the worker (wrong attempt N).
	problems []string

	leaseErr    func() error
	completeErr func() error
}

var _ Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{
		events:     map[string]*event.Event{},
		deliveries: map[string]*event.Delivery{},
		attempts:   map[string][]event.Attempt{},
	}
}

// add stores ev and one pending delivery per destination, due at
// ev.ReceivedAt, and returns the delivery ids in destination order.
func (s *fakeStore) add(ev *event.Event, dests ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[ev.ID] = ev
	var ids []string
	for _, d := range dests {
		id := fmt.Sprintf("%s-%s", ev.ID, d)
		s.deliveries[id] = &event.Delivery{
			ID: id, EventID: ev.ID, Destination: d, State: event.Pending,
			NextAt: ev.ReceivedAt, CreatedAt: ev.ReceivedAt, UpdatedAt: ev.ReceivedAt,
		}
		ids = append(ids, id)
	}
	return ids
}

// addDelivery stores a pending delivery without its event.
func (s *fakeStore) addDelivery(d event.Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.State = event.Pending
	s.deliveries[d.ID] = &d
}

func (s *fakeStore) delivery(id string) event.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.deliveries[id]
}

func (s *fakeStore) attemptsOf(id string) []event.Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.attempts[id])
}

func (s *fakeStore) leaseCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leaseCalls
}

// Lease takes the oldest due, whatever their destination.
func (s *fakeStore) Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]event.Delivery, error) {
	return s.LeaseEach(ctx, now, store.LeaseLimits{Others: limit}, leaseFor)
}

// LeaseEach takes, in due order, what limits allow per destination.
func (s *fakeStore) LeaseEach(ctx context.Context, now time.Time, limits store.LeaseLimits, leaseFor time.Duration) ([]event.Delivery, error) {
	if err := store.CheckLeaseLimits(limits); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaseCalls++
	if s.leaseErr != nil {
		if err := s.leaseErr(); err != nil { // hooks must not block here
			return nil, err
		}
	}
	var due []*event.Delivery
	for _, d := range s.deliveries {
		if d.State == event.Pending && !d.NextAt.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b *event.Delivery) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.ID, b.ID))
	})
	taken := map[string]int{}
	others := 0
	var out []event.Delivery
	for _, d := range due {
		if n, named := limits.PerDestination[d.Destination]; named {
			if taken[d.Destination] >= n {
				continue
			}
			taken[d.Destination]++
		} else {
			if others >= limits.Others {
				continue
			}
			others++
		}
		s.tokens++
		d.Lease = fmt.Sprintf("lease-%d", s.tokens)
		d.NextAt = now.Add(leaseFor)
		d.UpdatedAt = now
		out = append(out, *d)
	}
	return out, nil
}

func (s *fakeStore) Complete(ctx context.Context, outcomes []store.Outcome) error {
	if s.completeErr != nil { // outside the lock: a hook may block
		if err := s.completeErr(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completeCalls = append(s.completeCalls, slices.Clone(outcomes))
	for _, o := range outcomes {
		d, ok := s.deliveries[o.DeliveryID]
		if !ok || d.Lease == "" || d.Lease != o.Lease || d.State != event.Pending {
			continue // stale: the lease was taken over
		}
		if o.Attempt.N != d.Attempts+1 {
			s.problems = append(s.problems, fmt.Sprintf("%s: attempt N %d, want %d", d.ID, o.Attempt.N, d.Attempts+1))
		}
		s.attempts[d.ID] = append(s.attempts[d.ID], o.Attempt)
		d.Attempts++
		d.State = o.State
		d.NextAt = o.NextAt
		d.Lease = ""
		d.LastError = o.Attempt.Error
	}
	return nil
}

func (s *fakeStore) Release(ctx context.Context, now time.Time, leases map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases = append(s.releases, leases)
	for id, token := range leases {
		if d, ok := s.deliveries[id]; ok && d.Lease == token && d.State == event.Pending {
			d.Lease = ""
			d.NextAt = now
		}
	}
	return nil
}

func (s *fakeStore) Event(ctx context.Context, id string) (*event.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventCalls++
	ev, ok := s.events[id]
	if !ok {
		return nil, fmt.Errorf("event %s: %w", id, store.ErrNotFound)
	}
	return ev, nil
}
