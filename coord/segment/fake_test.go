package segment

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// memStore is an in-memory coord.SegmentStore for unit tests of the
// allocator's logic (the integration tests run against etcd). down makes
// every call fail as an unreachable store does; it counts the calls and
// records the size of every take.
type memStore struct {
	mu    sync.Mutex
	recs  map[string]coord.SegmentRecord
	vers  map[string]coord.SegmentVersion
	rev   int64
	down  bool
	calls int
	takes []int64
}

var _ coord.SegmentStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{recs: map[string]coord.SegmentRecord{}, vers: map[string]coord.SegmentVersion{}}
}

func (s *memStore) GetSegment(ctx context.Context, tag string) (coord.SegmentRecord, coord.SegmentVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.callLocked(ctx); err != nil {
		return coord.SegmentRecord{}, 0, err
	}
	r, ok := s.recs[tag]
	if !ok {
		return coord.SegmentRecord{}, 0, fmt.Errorf("%w: %q in the test store", coord.ErrNoSegment, tag)
	}
	return r, s.vers[tag], nil
}

func (s *memStore) ListSegments(ctx context.Context) ([]coord.SegmentEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.callLocked(ctx); err != nil {
		return nil, err
	}
	var out []coord.SegmentEntry
	for tag, r := range s.recs {
		out = append(out, coord.SegmentEntry{Tag: tag, Record: r, Version: s.vers[tag]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out, nil
}

func (s *memStore) PutSegment(ctx context.Context, tag string, r coord.SegmentRecord, v coord.SegmentVersion) (coord.SegmentVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.callLocked(ctx); err != nil {
		return 0, err
	}
	if s.vers[tag] != v {
		return 0, fmt.Errorf("%w: %s is at version %d, not %d", coord.ErrSegmentChanged, tag, s.vers[tag], v)
	}
	if old, ok := s.recs[tag]; ok && r.MaxID > old.MaxID {
		s.takes = append(s.takes, r.MaxID-old.MaxID)
	}
	s.rev++
	s.recs[tag], s.vers[tag] = r, coord.SegmentVersion(s.rev)
	return coord.SegmentVersion(s.rev), nil
}

// callLocked counts a call and fails it while the store is down.
func (s *memStore) callLocked(ctx context.Context) error {
	s.calls++
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.down {
		return fmt.Errorf("%w: the test store is down", coord.ErrUnreachable)
	}
	return nil
}

func (s *memStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *memStore) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// takeSizes returns the size of every segment taken so far.
func (s *memStore) takeSizes() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.takes...)
}

// manualClock is a monotonic clock that moves only when told.
type manualClock struct{ now atomic.Int64 }

func (c *manualClock) Since() time.Duration    { return time.Duration(c.now.Load()) }
func (c *manualClock) advance(d time.Duration) { c.now.Add(int64(d)) }

// restore puts tag's record back to max_id, as a store restored from an
// older backup would: the version moves on, max_id goes down.
func (s *memStore) restore(tag string, maxID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs[tag]
	r.MaxID = maxID
	s.rev++
	s.recs[tag], s.vers[tag] = r, coord.SegmentVersion(s.rev)
}

// maxID returns tag's stored max_id.
func (s *memStore) maxID(tag string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs[tag].MaxID
}
