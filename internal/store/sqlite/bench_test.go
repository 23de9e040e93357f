package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/hookgate/hookgate/internal/store"
	"github.com/hookgate/hookgate/internal/store/storetest"
)

// openBench opens a fresh database for one benchmark (durable: fsync before
// every return), closed when the benchmark ends.
func openBench(b *testing.B) (store.Store, storetest.Counters) {
	s := open(b, filepath.Join(b.TempDir(), "hookgate.db"), Options{})
	b.Cleanup(func() { s.Close() })
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
