package console

import (
	"sync"
	"time"
)

// sample is one point of the charts' history.
type sample struct {
	At time.Time
	// Count is the IDs counter (Config.IDsIssued) when HasCount.
	Count    float64
	HasCount bool
	// Offset is this node's mean offset from its peers, in seconds
	// (positive: the peers are ahead), when HasOffset.
	Offset    float64
	HasOffset bool
}

// history is a ring of the last n samples: its memory is fixed at New,
// whatever runs how long. Safe for concurrent use.
type history struct {
	mu struct {
		sync.Mutex
		ring []sample // len n
		next int      // where the next sample goes
		size int      // samples held, ≤ n
	}
}

func newHistory(n int) *history {
	h := &history{}
	h.mu.ring = make([]sample, n)
	return h
}

// add keeps s, dropping the oldest sample when the ring is full.
func (h *history) add(s sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mu.ring[h.mu.next] = s
	h.mu.next = (h.mu.next + 1) % len(h.mu.ring)
	h.mu.size = min(h.mu.size+1, len(h.mu.ring))
}

// samples returns a copy of the samples held, oldest first.
func (h *history) samples() []sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	dst := make([]sample, 0, h.mu.size)
	n := len(h.mu.ring)
	for i := range h.mu.size {
		dst = append(dst, h.mu.ring[(h.mu.next-h.mu.size+i+n)%n])
	}
	return dst
}

// point is one value of a chart at a time; a gap (no value) breaks its
// line.
type point struct {
	At  time.Time
	V   float64
	Gap bool
}

// rates turns the samples into IDs/s between consecutive samples. A counter
// that went down (a restart) or a missing count is a gap.
func rates(ss []sample) []point {
	out := make([]point, 0, len(ss))
	for i := 1; i < len(ss); i++ {
		a, b := ss[i-1], ss[i]
		dt := b.At.Sub(a.At).Seconds()
		if !a.HasCount || !b.HasCount || b.Count < a.Count || dt <= 0 {
			out = append(out, point{At: b.At, Gap: true})
			continue
		}
		out = append(out, point{At: b.At, V: (b.Count - a.Count) / dt})
	}
	return out
}

// offsets turns the samples into clock offsets in seconds; a sample with no
// peer answer is a gap.
func offsets(ss []sample) []point {
	out := make([]point, 0, len(ss))
	for _, s := range ss {
		out = append(out, point{At: s.At, V: s.Offset, Gap: !s.HasOffset})
	}
	return out
}
