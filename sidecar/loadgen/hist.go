package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// histSubBits is how many bits below the leading one a latency bucket keeps:
// 32 buckets per power of two, so a bucket is at most 1/32 (3.1%) wide
// relative to its values. Values below 64 ns have a bucket each.
const histSubBits = 5

const (
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits) * histSub // enough for any int64
)

// latencyHist is a log-linear histogram of latencies in nanoseconds. Record
// costs a few instructions and never allocates. It is not safe for
// concurrent use: each load goroutine owns one, and they are merged at the
// end.
type latencyHist struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64 // nanoseconds; overflows only after 584 years of latency
	max    int64
}

// histBucket returns the bucket of v >= 0: v itself below 2*histSub, else
// the exponent above histSubBits+1 bits and the histSubBits bits after the
// leading one.
func histBucket(v int64) int {
	if v < 2*histSub {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - (histSubBits + 1)
	return e*histSub + int(v>>e)
}

// histUpper returns the largest value that falls in bucket i.
func histUpper(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	e := i/histSub - 1
	mant := uint64(i%histSub + histSub)
	return int64(min((mant+1)<<e-1, math.MaxInt64)) // the last bucket ends at math.MaxInt64
}

// record adds one latency.
func (h *latencyHist) record(d time.Duration) {
	v := int64(d)
	h.counts[histBucket(v)]++
	h.n++
	h.sum += uint64(max(v, 0))
	if v > h.max {
		h.max = v
	}
}

// merge adds o's latencies to h.
func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the latency at or below which a fraction q of the
// recorded ones fall: the upper end of the bucket that holds it, never more
// than the largest recorded. It returns 0 when nothing was recorded.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return time.Duration(min(histUpper(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// mean returns the average latency, or 0 when nothing was recorded.
func (h *latencyHist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}
