package segment

import (
	"sort"
	"time"
)

// TagStatus is one tag's double buffer, shaped for JSON (/status).
type TagStatus struct {
	Tag string `json:"tag"`
	// Step is the dynamic step: the size of the next segment asked for.
	Step int64 `json:"step"`
	// MinStep is the record's step as of the last fetch: the floor of Step.
	MinStep int64 `json:"min_step"`
	// Current is the segment IDs come from; Next the one loaded after it.
	Current SegmentStatus  `json:"current"`
	Next    *SegmentStatus `json:"next"`
	// Fetching: a fetch from the store is under way.
	Fetching bool `json:"fetching"`
	// LastFetch is when the last segment arrived (wall clock).
	LastFetch time.Time `json:"last_fetch"`
	// LastError is the last fetch's error, empty after a success.
	LastError string `json:"last_error"`
	// IDsServed counts the IDs handed out.
	IDsServed int64 `json:"ids_served"`
	// Fetches counts the segments taken from the store; Exhausted the
	// requests that found nothing loaded and waited for the store (the
	// double buffer ran dry).
	Fetches   int64 `json:"fetches"`
	Exhausted int64 `json:"exhausted"`
}

// SegmentStatus is one loaded segment: [Start, End), Next the next ID to
// hand out, Used how many were handed out.
type SegmentStatus struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Next  int64 `json:"next"`
	Used  int64 `json:"used"`
}

func (b buffer) status() SegmentStatus {
	return SegmentStatus{Start: b.start, End: b.end, Next: b.pos, Used: b.pos - b.start}
}

// Status returns each loaded tag's buffers, in tag order. Tags that never
// loaded a segment (unknown ones among them) are left out.
func (a *Allocator) Status() []TagStatus {
	out := []TagStatus{}
	for _, t := range a.snapshot() {
		t.mu.Lock()
		if t.loaded {
			s := TagStatus{Tag: t.tag, Step: t.step, MinStep: t.minStep, Current: t.cur.status(),
				Fetching: t.fetching, LastFetch: t.lastFetch, IDsServed: t.served, Fetches: t.fetchOK, Exhausted: t.exhausted}
			if t.hasNext {
				next := t.next.status()
				s.Next = &next
			}
			if t.lastErr != nil {
				s.LastError = t.lastErr.Error()
			}
			out = append(out, s)
		}
		t.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}
