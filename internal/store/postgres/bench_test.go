package postgres

import (
	"testing"

	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/postgres/pgtest"
	"github.com/hookgate/hookgate/internal/store/storetest"
)

// openBench opens a store on a fresh schema of the HOOKGATE_TEST_POSTGRES_DSN
// cluster (synchronous_commit=on before every return).
func openBench(b *testing.B) (store.Store, storetest.Counters) {
	s := open(b, pgtest.Schema(b), Options{})
	return s, func() (uint64, uint64) { st := s.Stats(); return st.Commits, st.Requests }
}

// BenchmarkIngest: see storetest.BenchIngest.
func BenchmarkIngest(b *testing.B) { storetest.BenchIngest(b, openBench) }

// BenchmarkLeaseComplete: see storetest.BenchLeaseComplete.
func BenchmarkLeaseComplete(b *testing.B) { storetest.BenchLeaseComplete(b, openBench) }

// BenchmarkEvents: see storetest.BenchEvents.
func BenchmarkEvents(b *testing.B) { storetest.BenchEvents(b, openBench) }

// BenchmarkPurge: see storetest.BenchPurge.
func BenchmarkPurge(b *testing.B) { storetest.BenchPurge(b, openBench) }
