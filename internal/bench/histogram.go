package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 1<<subBits linear buckets, so a bucket is at most 1/128 of its lower
// bound wide (under 0.8%), and reporting its midpoint is within 0.4%.
const subBits = 7

const (
	subCount   = 1 << subBits // buckets per power of two
	exactLimit = 2 * subCount // values below this have a bucket each
	// numBuckets covers every uint64: exactLimit exact buckets, then subCount
	// for each shift from 1 to 64-(subBits+1).
	numBuckets = exactLimit + (64-subBits-1)*subCount
)

// histogram records latencies in log-linear buckets (the HDR histogram idea,
// hand-rolled): recording is an index computation and an increment, with no
// allocation. It is not safe for concurrent use; each worker keeps its own
// and they are merged at the end.
type histogram struct {
	counts   [numBuckets]uint64
	total    uint64
	min, max time.Duration
}

// bucketOf returns the bucket index of v.
func bucketOf(v uint64) int {
	if v < exactLimit {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1) // >= 1: keep the top subBits+1 bits
	top := v >> shift                      // in [subCount, 2*subCount)
	return exactLimit + (shift-1)*subCount + int(top-subCount)
}

// bucketRange returns the smallest value in bucket i and the bucket's width.
func bucketRange(i int) (lo, width uint64) {
	if i < exactLimit {
		return uint64(i), 1
	}
	shift := (i-exactLimit)/subCount + 1
	top := uint64((i-exactLimit)%subCount + subCount)
	return top << shift, 1 << shift
}

// record adds one observation. Negative durations count as zero.
func (h *histogram) record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	if h.total == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.total++
}

// merge adds o's observations to h.
func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
}

// quantile returns the value at quantile q (0 < q <= 1): the midpoint of the
// bucket holding the ceil(q*total)-th smallest observation, clamped to the
// observed min and max. It returns 0 for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, width := bucketRange(i)
			mid := time.Duration(lo + width/2)
			if width == 1 {
				mid = time.Duration(lo)
			}
			return min(max(mid, h.min), h.max)
		}
	}
	return h.max
}
