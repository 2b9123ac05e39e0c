package segment

import (
	"sync"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// buffer is one loaded segment, [start, end), of which [start, pos) has
// been handed out.
type buffer struct {
	start, end, pos int64
}

// left is how many IDs b still holds.
func (b buffer) left() int64 { return b.end - b.pos }

// tagState is one tag's double buffer. Every field is guarded by mu.
//
// The IDs of cur come before those of next, and both come after every ID
// handed out before: segments arrive in the order they were taken (one
// fetch in flight at a time), and each take raises the tag's max_id past
// the segment it returns.
type tagState struct {
	tag string

	mu sync.Mutex
	// cur is the segment IDs come from; next, when hasNext, the one after.
	cur, next buffer
	hasNext   bool
	// loaded: a segment arrived once. A tag that never loaded is dropped
	// from the allocator once nobody waits for it.
	loaded bool
	// removed: dropped from the allocator; a request that finds it looks
	// the tag up again.
	removed bool
	// fetching: a fetch loop runs for the tag (one at most).
	fetching bool
	// ready is closed and replaced at the end of every fetch attempt, to
	// wake the requests that wait for IDs.
	ready chan struct{}
	// waiters counts requests that wait for a fetch.
	waiters int

	// step is the dynamic step; minStep the record's step at the last
	// fetch; fetchedAt the monotonic time the last segment arrived.
	step, minStep int64
	fetchedAt     time.Duration

	// high is the end of the highest segment this allocator took for the
	// tag: every ID it handed out is below it, so a later segment must
	// start at or above it.
	high int64

	lastFetch time.Time // wall time of the last segment's arrival
	lastErr   error     // the last fetch's error; nil after a success

	// Counters for Status and metrics.
	served, exhausted, fetchOK, fetchErr int64
}

// newTagState returns the state of a tag that has nothing loaded.
func newTagState(tag string) *tagState {
	return &tagState{tag: tag, ready: make(chan struct{})}
}

// takeLocked appends up to *n IDs to dst, from cur and then next, and
// lowers *n by as many. It reports whether cur has been used past the
// point where the next segment should be fetched.
func (t *tagState) takeLocked(dst []int64, n *int) ([]int64, bool) {
	for *n > 0 {
		if t.cur.left() == 0 {
			if !t.hasNext {
				break
			}
			t.cur, t.hasNext = t.next, false
		}
		k := min(int64(*n), t.cur.left())
		for id := t.cur.pos; id < t.cur.pos+k; id++ {
			dst = append(dst, id)
		}
		t.cur.pos += k
		t.served += k
		*n -= int(k)
	}
	return dst, t.wantsNextLocked()
}

// wantsNextLocked reports whether a fetch should start: none runs, no next
// segment is loaded, and at least a tenth of cur is used (as Leaf: the next
// segment loads while 90% of the current one is left to serve).
func (t *tagState) wantsNextLocked() bool {
	if t.fetching || t.hasNext {
		return false
	}
	used, size := t.cur.pos-t.cur.start, t.cur.end-t.cur.start
	return used*10 >= size // also true when nothing is loaded (0 >= 0)
}

// loadedLocked is how many IDs both buffers hold.
func (t *tagState) loadedLocked() int64 {
	n := t.cur.left()
	if t.hasNext {
		n += t.next.left()
	}
	return n
}

// installLocked stores a fetched segment: into cur when cur is used up,
// else as next.
func (t *tagState) installLocked(seg coord.Segment) {
	b := buffer{start: seg.Start, end: seg.End, pos: seg.Start}
	t.high = max(t.high, seg.End)
	if t.cur.left() == 0 {
		t.cur = b
	} else {
		t.next, t.hasNext = b, true
	}
}

// wakeLocked wakes every request waiting for the end of a fetch attempt.
func (t *tagState) wakeLocked() {
	close(t.ready)
	t.ready = make(chan struct{})
}
