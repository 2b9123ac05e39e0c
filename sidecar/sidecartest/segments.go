package sidecartest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/idcoord/idcoord/coord"
)

// Segments is an in-memory segment source for protocol tests: each known
// tag is a counter, and a request for n IDs takes the next n numbers of
// its tag's counter, from 1 up. Remove makes a tag unknown (the error wraps
// coord.ErrNoSegment) and SetDown makes every request fail with a reason.
// It is not the allocator: it keeps no store and never skips. Its methods
// are safe for concurrent use; it satisfies sidecar.SegmentSource.
type Segments struct {
	down atomic.Pointer[string]
	mu   struct {
		sync.RWMutex
		tags map[string]*atomic.Int64
	}
}

// NewSegments returns a Segments that knows tags.
func NewSegments(tags ...string) *Segments {
	s := &Segments{}
	s.mu.tags = make(map[string]*atomic.Int64, len(tags))
	for _, t := range tags {
		s.Add(t)
	}
	return s
}

// Add makes tag known, its counter starting from 1; a tag already known
// keeps its counter.
func (s *Segments) Add(tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.tags[tag] == nil {
		s.mu.tags[tag] = new(atomic.Int64)
	}
}

// Remove makes tag unknown.
func (s *Segments) Remove(tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mu.tags, tag)
}

// SetDown makes every request fail with reason, or serve again with "".
func (s *Segments) SetDown(reason string) {
	if reason == "" {
		s.down.Store(nil)
		return
	}
	s.down.Store(&reason)
}

// Issued returns how many IDs tag has handed out, or -1 for an unknown tag.
func (s *Segments) Issued(tag string) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.mu.tags[tag]; c != nil {
		return c.Load()
	}
	return -1
}

// AppendSegmentIDs appends the next n numbers of tag to dst. It refuses
// while down, an unknown tag (coord.ErrNoSegment), a tag that
// coord.CheckTag refuses, and n < 1.
func (s *Segments) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if r := s.down.Load(); r != nil {
		return dst, errors.New(*r)
	}
	if err := coord.CheckTag(tag); err != nil {
		return dst, err
	}
	if n < 1 {
		return dst, fmt.Errorf("count %d is below 1", n)
	}
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	s.mu.RLock()
	c := s.mu.tags[tag]
	s.mu.RUnlock()
	if c == nil {
		return dst, fmt.Errorf("%w: %q", coord.ErrNoSegment, tag)
	}
	end := c.Add(int64(n))
	for id := end - int64(n) + 1; id <= end; id++ {
		dst = append(dst, id)
	}
	return dst, nil
}
