// Package segment hands out segment IDs (Leaf's 号段 mode): short, dense
// numbers per tag, taken from the store in segments and served from memory.
//
// # The invariant
//
// No ID is handed out twice, across all nodes, for good; and every ID one
// Allocator hands out for a tag is greater than the ones it handed out
// before for that tag.
//
// It rests on the store: a segment [max_id − step, max_id) is handed out
// only after the compare-and-swap that moved the tag's max_id past it
// succeeded (coord.TakeSegment), so no other node, and no later take of this
// one, can get an ID of it. An Allocator runs at most one fetch per tag at a
// time and serves its segments in the order they were taken; since max_id
// only grows, each segment lies above the one before, and within a segment
// IDs go up one by one under the tag's mutex.
//
// IDs are never given back. A batch that fails halfway skips the IDs it
// took; a crash skips the rest of the loaded segments; a take whose answer
// was lost skips its segment. Gaps, never repeats.
//
// # The double buffer
//
// Each tag keeps the segment it serves and, once a tenth of it is used, the
// next one, fetched in the background; so the store's latency stays off the
// request path while it answers within the time the rest of a segment
// lasts. A request that finds both buffers empty waits for the store, at
// most Config.FetchWait, then fails with ErrUnavailable. While the store
// fails, the fetch retries with backoff, each call bounded by
// Config.FetchTimeout.
//
// The size of the next segment follows Leaf's rule, in memory only: a
// segment that lasted under 15 minutes (from its fetch to the next one's)
// doubles the step, up to Config.MaxStep; one that lasted over 30 minutes
// halves it, never below the record's step, which is read again at every
// fetch. Durations are measured on the monotonic clock.
//
// A tag that does not exist is an error wrapping coord.ErrNoSegment. The
// answer is remembered for about a second, for a bounded number of tags, so
// a client asking for a bad tag again and again does not reach the store at
// each request; a tag that never loaded keeps no state once nobody waits
// for it.
package segment
