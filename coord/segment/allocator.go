package segment

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Allocator hands out segment IDs for any number of tags. Safe for
// concurrent use: requests for one tag share its mutex, requests for
// different tags share nothing but a read lock on the tag table.
type Allocator struct {
	cfg     Config
	log     *zap.Logger
	clock   monoClock // durations of the step rule and the miss cache
	metrics *metrics  // nil without a Registerer
	misses  misses

	// ctx ends at Close; every fetch runs under it.
	ctx    context.Context
	cancel context.CancelFunc
	closed atomic.Bool

	tags struct {
		sync.RWMutex
		m map[string]*tagState
	}
	// run gates the start of fetch loops, so that none starts once Close
	// waits for them.
	run struct {
		sync.Mutex
		closed bool
		wg     sync.WaitGroup
	}
}

// New returns an Allocator. It loads nothing until a tag is asked for. It
// fails when cfg does not validate, or when cfg.Registerer refuses the
// metrics (another Allocator registered them).
func New(cfg Config) (*Allocator, error) {
	return newAllocator(cfg, realClock{start: time.Now()})
}

// newAllocator is New with the monotonic clock given, for tests that drive
// the step rule.
func newAllocator(cfg Config, clock monoClock) (*Allocator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	a := &Allocator{cfg: cfg, log: cfg.Logger, clock: clock}
	a.tags.m = make(map[string]*tagState)
	if cfg.Registerer != nil {
		m, err := newMetrics(a, cfg.Registerer)
		if err != nil {
			return nil, err
		}
		a.metrics = m
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	return a, nil
}

// Next returns one ID of tag; see AppendIDs.
func (a *Allocator) Next(ctx context.Context, tag string) (int64, error) {
	var buf [1]int64
	ids, err := a.AppendIDs(ctx, tag, buf[:0], 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AppendIDs appends n IDs of tag (1 <= n) to dst, in increasing order, and
// returns the extended slice. Every ID this Allocator hands out for tag is
// greater than the ones it handed out before, and lies in a segment it
// took from the store, so no other Allocator hands it out.
//
// IDs come from memory; the store is asked in the background. When none is
// loaded, the request waits for the store up to Config.FetchWait (and ctx),
// then fails with an error wrapping ErrUnavailable that names the tag, the
// wait and the store's last error. On any error dst is returned as it was:
// IDs taken for the failed batch are skipped, never handed out again.
//
// Errors wrap coord.ErrBadTag, ErrBadCount, coord.ErrNoSegment (the store
// has no such tag), ErrUnavailable, ErrClosed or ctx's error. The caller
// bounds n (the sidecar by its max-batch): the IDs are appended to dst.
func (a *Allocator) AppendIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if a.closed.Load() {
		return dst, ErrClosed
	}
	if n < 1 { // refused before the lookup, which would keep state for the tag
		if err := coord.CheckTag(tag); err != nil {
			return dst, fmt.Errorf("segment: %w", err)
		}
		return dst, fmt.Errorf("%w: asked for %d IDs of tag %q", ErrBadCount, n, tag)
	}
	t, err := a.lookup(tag)
	if err != nil {
		return dst, err
	}
	orig := len(dst)
	var waitStart time.Time // when the request found nothing loaded
	for {
		t.mu.Lock()
		if t.removed { // a tag that never loaded, dropped: look again
			t.mu.Unlock()
			if t, err = a.lookup(tag); err != nil {
				return dst[:orig], err
			}
			continue
		}
		before := n
		var fetch bool
		dst, fetch = t.takeLocked(dst, &n)
		if fetch {
			a.startFetchLocked(t)
		}
		if n == 0 {
			t.mu.Unlock()
			return dst, nil
		}
		if n < before || waitStart.IsZero() {
			if waitStart.IsZero() {
				t.exhausted++
			}
			waitStart = time.Now() // a wait for the store starts now
		}
		left := a.cfg.FetchWait - time.Since(waitStart)
		if !t.fetching || left <= 0 { // not fetching: the allocator closed
			err := a.failLocked(t, tag, time.Since(waitStart))
			t.mu.Unlock()
			return dst[:orig], err
		}
		err := a.waitLocked(ctx, t, left)
		if err == nil && t.loadedLocked() == 0 && !t.fetching && t.lastErr != nil && permanent(t.lastErr) {
			err = a.failLocked(t, tag, time.Since(waitStart))
		} else if err == errWaited {
			err = a.failLocked(t, tag, time.Since(waitStart))
		}
		t.mu.Unlock()
		if err != nil {
			return dst[:orig], err
		}
	}
}

// errWaited: a wait for a fetch ran out of time.
var errWaited = errors.New("waited out")

// waitLocked waits up to d for t's current fetch attempt to end, ctx to
// end or the allocator to close. It unlocks t.mu while it waits and returns
// with it locked.
func (a *Allocator) waitLocked(ctx context.Context, t *tagState, d time.Duration) error {
	ready := t.ready
	t.waiters++
	t.mu.Unlock()
	timer := time.NewTimer(d)
	var err error
	select {
	case <-ready:
	case <-timer.C:
		err = errWaited
	case <-ctx.Done():
		err = fmt.Errorf("segment: tag %q: %w", t.tag, ctx.Err())
	case <-a.ctx.Done():
		err = ErrClosed
	}
	timer.Stop()
	t.mu.Lock()
	t.waiters--
	return err
}

// failLocked is the error of a request that found nothing loaded for t
// after waiting waited.
func (a *Allocator) failLocked(t *tagState, tag string, waited time.Duration) error {
	switch {
	case a.closed.Load():
		return ErrClosed
	case t.lastErr != nil && permanent(t.lastErr) && !t.fetching:
		if errors.Is(t.lastErr, coord.ErrNoSegment) {
			return t.lastErr // the store's own words name the tag
		}
		return fmt.Errorf("%w: tag %q: %w", ErrUnavailable, tag, t.lastErr)
	case t.lastErr != nil:
		return fmt.Errorf("%w: tag %q: waited %s; the store's last error: %v", ErrUnavailable, tag, waited.Round(time.Millisecond), t.lastErr)
	}
	return fmt.Errorf("%w: tag %q: waited %s; the store has not answered yet (each call may take up to %s)",
		ErrUnavailable, tag, waited.Round(time.Millisecond), a.cfg.FetchTimeout)
}

// lookup returns tag's state, creating it (nothing loaded) on the first
// request. A tag not in the table is checked first, and refused without a
// store call while the store's "no such tag" is fresh.
func (a *Allocator) lookup(tag string) (*tagState, error) {
	a.tags.RLock()
	t := a.tags.m[tag]
	a.tags.RUnlock()
	if t != nil {
		return t, nil
	}
	if err := coord.CheckTag(tag); err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	if err := a.misses.get(tag, a.clock.Since()); err != nil {
		return nil, err
	}
	a.tags.Lock()
	defer a.tags.Unlock()
	if t = a.tags.m[tag]; t == nil {
		t = newTagState(tag)
		a.tags.m[tag] = t
	}
	return t, nil
}

// forget drops t, a tag that never loaded, from the table.
func (a *Allocator) forget(t *tagState) {
	a.tags.Lock()
	defer a.tags.Unlock()
	if a.tags.m[t.tag] == t {
		delete(a.tags.m, t.tag)
	}
}

// snapshot returns the tags in the table, for Status and metrics.
func (a *Allocator) snapshot() []*tagState {
	a.tags.RLock()
	defer a.tags.RUnlock()
	ts := make([]*tagState, 0, len(a.tags.m))
	for _, t := range a.tags.m {
		ts = append(ts, t)
	}
	return ts
}

// Close stops the background fetches and waits for them. Requests waiting
// for the store fail with ErrClosed, and so does every later call. Closing
// twice does nothing.
func (a *Allocator) Close() error {
	a.run.Lock()
	if a.run.closed {
		a.run.Unlock()
		return nil
	}
	a.run.closed = true
	a.closed.Store(true)
	a.run.Unlock()
	a.cancel()
	a.run.wg.Wait()
	a.metrics.unregister()
	return nil
}
