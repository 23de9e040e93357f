package postgres

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/event"
	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
	"github.com/hookgate/hookgate/internal/store/storetest"
)

// TestStoreAcrossNodes runs the contract suite on three nodes sharing one
// database, each write and lease going to the next node in turn: what one
// node promises (ordering above all) must hold for all of them together.
func TestStoreAcrossNodes(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn := pgtest.Schema(t)
		n := &nodes{all: []*Store{open(t, dsn, Options{}), open(t, dsn, Options{}), open(t, dsn, Options{})}}
		n.Store = n.all[0]
		return n
	})
}

// nodes is one store.Store spread over several nodes: Ingest, Lease and
// Complete each go to the next node in turn; the rest to the first.
type nodes struct {
	store.Store
	all  []*Store
	next atomic.Uint32
}

func (n *nodes) pick() *Store { return n.all[int(n.next.Add(1))%len(n.all)] }

func (n *nodes) Ingest(ctx context.Context, ev *event.Event, routes []store.Route) (store.IngestResult, error) {
	return n.pick().Ingest(ctx, ev, routes)
}

func (n *nodes) Lease(ctx context.Context, now time.Time, limit int, leaseFor time.Duration) ([]event.Delivery, error) {
	return n.pick().Lease(ctx, now, limit, leaseFor)
}

func (n *nodes) LeaseEach(ctx context.Context, now time.Time, limits store.LeaseLimits, leaseFor time.Duration) ([]event.Delivery, error) {
	return n.pick().LeaseEach(ctx, now, limits, leaseFor)
}

func (n *nodes) Complete(ctx context.Context, outcomes []store.Outcome) error {
	return n.pick().Complete(ctx, outcomes)
}

func (n *nodes) Close() error {
	var errs []error
	for _, s := range n.all {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
