package bench

import (
	"math"
	"testing"
	"time"
)

func TestBucketRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1000, 123456789, 1 << 40, math.MaxInt64, math.MaxUint64} {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, want in [0, %d)", v, i, numBuckets)
		}
		lo, width := bucketRange(i)
		if v < lo || v-lo >= width {
			t.Errorf("bucketOf(%d) = %d covering [%d, %d+%d), want it to hold %d", v, i, lo, lo, width, v)
		}
		if lo >= exactLimit && float64(width)/float64(lo) > 1.0/subCount {
			t.Errorf("bucket %d: width %d is over 1/%d of %d", i, width, subCount, lo)
		}
	}
}

func TestQuantileUniform(t *testing.T) {
	t.Parallel()
	// 1µs, 2µs, ... 100000µs: the q-quantile is q*100ms.
	var h histogram
	for i := 1; i <= 100000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 50 * time.Millisecond},
		{0.90, 90 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{0.999, 99900 * time.Microsecond},
		{1, 100 * time.Millisecond},
	} {
		got := h.quantile(tc.q)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 0.005 {
			t.Errorf("quantile(%v) = %v, want %v within 0.5%% (off by %.2f%%)", tc.q, got, tc.want, rel*100)
		}
	}
	if h.min != time.Microsecond || h.max != 100*time.Millisecond {
		t.Errorf("min, max = %v, %v, want 1µs, 100ms", h.min, h.max)
	}
}

func TestQuantileTail(t *testing.T) {
	t.Parallel()
	// 989 fast requests at 1ms and 11 slow ones at 20ms: p50 and p90 are 1ms,
	// p99 is the 990th smallest, a slow one.
	var h histogram
	for range 989 {
		h.record(time.Millisecond)
	}
	for range 11 {
		h.record(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, time.Millisecond}, {0.9, time.Millisecond}, {0.989, time.Millisecond}, {0.99, 20 * time.Millisecond}} {
		got := h.quantile(tc.q)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 0.005 {
			t.Errorf("quantile(%v) = %v, want %v within 0.5%%", tc.q, got, tc.want)
		}
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	var a, b, all histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i*i) * time.Microsecond
		all.record(d)
		if i%3 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	var m histogram
	m.merge(&a)
	m.merge(&b)
	m.merge(&histogram{}) // empty: no effect on min
	if m.total != all.total || m.min != all.min || m.max != all.max {
		t.Errorf("merged total, min, max = %d, %v, %v, want %d, %v, %v", m.total, m.min, m.max, all.total, all.min, all.max)
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if got, want := m.quantile(q), all.quantile(q); got != want {
			t.Errorf("merged quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestQuantileEmpty(t *testing.T) {
	t.Parallel()
	var h histogram
	if got := h.quantile(0.99); got != 0 {
		t.Errorf("empty quantile = %v, want 0", got)
	}
}
