package sidecartest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/idcoord/idcoord/snowflake"
)

// Source serves IDs from a real generator. SetDown makes it refuse with a
// reason, Hold makes requests wait, and TakeCounts tells how many IDs each
// request asked for. Its methods are safe for concurrent use.
type Source struct {
	gen  *snowflake.Generator
	down atomic.Pointer[string]
	gate atomic.Pointer[gate]
	mu   struct {
		sync.Mutex
		counts []int
	}
}

// gate holds requests until released: each request signals entered, then
// waits for open to be closed or its ctx to end.
type gate struct {
	open    chan struct{}
	entered chan struct{}
}

// NewSource returns a Source that issues IDs for workerID in the default
// layout.
func NewSource(tb testing.TB, workerID int64) *Source {
	tb.Helper()
	g, err := snowflake.New(snowflake.Config{WorkerID: workerID})
	if err != nil {
		tb.Fatal(err)
	}
	return &Source{gen: g}
}

// AppendIDs records n, then refuses if the Source is down, waits while it
// is held, and appends n IDs from the generator.
func (s *Source) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	s.mu.Lock()
	s.mu.counts = append(s.mu.counts, n)
	s.mu.Unlock()
	if r := s.down.Load(); r != nil {
		return dst, errors.New(*r)
	}
	if g := s.gate.Load(); g != nil {
		select {
		case g.entered <- struct{}{}:
		default: // nobody counts this many waiting requests
		}
		select {
		case <-g.open:
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
	return s.gen.AppendIDs(ctx, dst, n)
}

// Ready returns the reason set by SetDown, or nil.
func (s *Source) Ready() error {
	if r := s.down.Load(); r != nil {
		return errors.New(*r)
	}
	return nil
}

// Layout is the generator's layout.
func (s *Source) Layout() snowflake.Layout { return s.gen.Layout() }

// Status is a small status snapshot: the WorkerID and whether it is ready.
func (s *Source) Status() any {
	return map[string]any{"worker_id": s.gen.WorkerID(), "ready": s.Ready() == nil}
}

// SetDown makes the Source refuse every request with reason, or serve again
// with "".
func (s *Source) SetDown(reason string) {
	if reason == "" {
		s.down.Store(nil)
		return
	}
	s.down.Store(&reason)
}

// Hold makes every request from now on wait until release is called (or
// its ctx ends). A request sends on entered once it waits; entered buffers
// 64 of them.
func (s *Source) Hold() (entered <-chan struct{}, release func()) {
	g := &gate{open: make(chan struct{}), entered: make(chan struct{}, 64)}
	s.gate.Store(g)
	var once sync.Once
	return g.entered, func() { once.Do(func() { close(g.open) }) }
}

// TakeCounts returns the count of every request since the last call.
func (s *Source) TakeCounts() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.mu.counts
	s.mu.counts = nil
	return c
}
