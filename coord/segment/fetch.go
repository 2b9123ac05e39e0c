package segment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Backoff between the attempts of a fetch while the store fails.
const (
	minBackoff = 20 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// permanent reports whether err ends a fetch loop instead of being retried:
// the tag is gone or used up, and asking again will not change that soon.
func permanent(err error) bool {
	return errors.Is(err, coord.ErrNoSegment) || errors.Is(err, coord.ErrSegmentOverflow)
}

// startFetchLocked starts t's fetch loop unless the allocator is closed.
// The caller holds t.mu and has checked that none runs.
func (a *Allocator) startFetchLocked(t *tagState) {
	a.run.Lock()
	defer a.run.Unlock()
	if a.run.closed {
		return
	}
	t.fetching = true
	a.run.wg.Add(1)
	go a.fetchLoop(t)
}

// fetchLoop takes the next segment for t, retrying with backoff while the
// store fails, until one arrives, the error is permanent, the allocator
// closes, or (for a tag that never loaded) nobody waits any more.
func (a *Allocator) fetchLoop(t *tagState) {
	defer a.run.wg.Done()
	backoff := minBackoff
	for {
		t.mu.Lock()
		step := int64(1) // the first take is of the record's own step
		if t.loaded {
			step = nextStep(t.step, t.minStep, a.cfg.MaxStep, a.clock.Since()-t.fetchedAt)
		}
		t.mu.Unlock()

		began := time.Now()
		ctx, cancel := context.WithTimeout(a.ctx, a.cfg.FetchTimeout)
		seg, rec, err := coord.TakeSegment(ctx, a.cfg.Store, t.tag, step, a.cfg.Now())
		if err == nil {
			err = a.checkNotBehind(ctx, t, seg, rec)
		}
		if err != nil && ctx.Err() == context.DeadlineExceeded && a.ctx.Err() == nil {
			err = fmt.Errorf("%w: no answer within the fetch timeout (%s): %w", coord.ErrUnreachable, a.cfg.FetchTimeout, err)
		}
		cancel()
		took := time.Since(began)

		if a.finishFetch(t, seg, rec, err, took) {
			return
		}
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-a.ctx.Done():
			timer.Stop()
			a.stopFetch(t)
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// checkNotBehind refuses a segment that starts below one this allocator
// took before for the tag: the store went back in time (restored from an
// older backup, or it lost writes), and the segment repeats IDs this node
// handed out. It raises the tag's max_id past them (coord.RaiseSegment never
// lowers), so that the next take, and every other node's, lies above, and
// returns an error wrapping ErrStoreBehind; the loop then takes again.
func (a *Allocator) checkNotBehind(ctx context.Context, t *tagState, seg coord.Segment, rec coord.SegmentRecord) error {
	t.mu.Lock()
	high := t.high
	t.mu.Unlock()
	if a.cfg.Floors != nil {
		high = max(high, a.cfg.Floors.Floor(t.tag))
	}
	if seg.Start >= high {
		return a.recordFloor(t, seg)
	}
	a.log.Error("the store handed out a segment below one taken before: it went back in time; raising max_id",
		zap.String("tag", t.tag), zap.Int64("start", seg.Start), zap.Int64("end", seg.End), zap.Int64("taken-up-to", high))
	rec.MaxID = high
	_, _, _, err := coord.RaiseSegment(ctx, a.cfg.Store, t.tag, rec, a.cfg.Now())
	if err != nil {
		return fmt.Errorf("%w: tag %q: the store handed out [%d, %d), below %d taken before; raising max_id failed: %w",
			ErrStoreBehind, t.tag, seg.Start, seg.End, high, err)
	}
	return fmt.Errorf("%w: tag %q: the store handed out [%d, %d), below %d taken before; max_id raised to %d",
		ErrStoreBehind, t.tag, seg.Start, seg.End, high, high)
}

// recordFloor writes seg's end to Floors before any ID of seg is handed
// out. A failed write is logged, not fatal: the segment is this node's by
// the store's compare-and-swap; only the protection against a restored
// store is weaker until a write succeeds.
func (a *Allocator) recordFloor(t *tagState, seg coord.Segment) error {
	if a.cfg.Floors == nil {
		return nil
	}
	if err := a.cfg.Floors.Raise(t.tag, seg.End); err != nil {
		a.log.Warn("segment floor not recorded; a store restored from an older backup could repeat this segment after a restart",
			zap.String("tag", t.tag), zap.Int64("end", seg.End), zap.Error(err))
	}
	return nil
}

// finishFetch records the outcome of one attempt, wakes the waiting
// requests, and reports whether the loop ends.
func (a *Allocator) finishFetch(t *tagState, seg coord.Segment, rec coord.SegmentRecord, err error, took time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.wakeLocked()
	if err == nil {
		if !t.loaded {
			a.log.Info("segment tag loaded", zap.String("tag", t.tag), zap.Int64("start", seg.Start), zap.Int64("step", seg.Len()))
		} else if t.lastErr != nil {
			a.log.Info("segment fetch recovered", zap.String("tag", t.tag), zap.Int64("start", seg.Start))
		}
		t.installLocked(seg)
		t.loaded = true
		// The step used is what the take gave: the record's step when it
		// is larger than the one asked for (set-step raised the floor).
		t.step, t.minStep = seg.Len(), rec.Step
		t.fetchedAt = a.clock.Since()
		t.lastFetch = a.cfg.Now()
		t.lastErr = nil
		t.fetchOK++
		t.fetching = false
		a.metrics.observeFetch(t.tag, took)
		return true
	}
	t.lastErr = err
	if t.loaded {
		t.fetchErr++
		a.metrics.observeFetch(t.tag, took)
		a.log.Warn("segment fetch failed", zap.String("tag", t.tag), zap.Error(err))
	} else {
		a.log.Debug("segment first fetch failed", zap.String("tag", t.tag), zap.Error(err))
	}
	stop := permanent(err) || a.ctx.Err() != nil
	if !t.loaded && (stop || t.waiters == 0) {
		// A tag that never loaded keeps no memory once nobody asks for it;
		// an unknown one is remembered for a while in the miss cache.
		if errors.Is(err, coord.ErrNoSegment) {
			a.misses.add(t.tag, err, a.clock.Since())
		}
		t.removed = true
		a.forget(t)
		stop = true
	}
	if stop {
		t.fetching = false
	}
	return stop
}

// stopFetch ends t's fetch loop when the allocator closes.
func (a *Allocator) stopFetch(t *tagState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fetching = false
	t.wakeLocked()
}
