package clockguard

import (
	"context"
	"sync"
	"time"
)

// WallClock is the source of wall time for ID timestamps and clock reports.
// Implementations must be safe for concurrent use.
type WallClock interface {
	Now() time.Time
}

// Sleeper is implemented by clocks that control how waiting works, such as
// ManualClock. Code that waits on a WallClock calls Sleep through it when the
// clock implements Sleeper, so that tests never wait on real time.
type Sleeper interface {
	Sleep(ctx context.Context, d time.Duration) error
}

// System is the process's real wall clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Sleep waits for d of real time on clock c, or until ctx is done. It uses the
// clock's own Sleep when c implements Sleeper.
func Sleep(ctx context.Context, c WallClock, d time.Duration) error {
	if s, ok := c.(Sleeper); ok {
		return s.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ManualClock is a WallClock that moves only when told to. It is safe for
// concurrent use.
//
// With AutoAdvance set, Sleep moves the clock forward by the requested
// duration and returns at once; otherwise Sleep blocks until Advance or Set
// has moved the clock far enough, or ctx is done.
type ManualClock struct {
	mu struct {
		sync.Mutex
		now     time.Time
		auto    bool
		waiters int
		changed chan struct{}
	}
}

// NewManualClock returns a ManualClock set to now.
func NewManualClock(now time.Time) *ManualClock {
	c := &ManualClock{}
	c.mu.now = now
	c.mu.changed = make(chan struct{})
	return c
}

// SetAutoAdvance makes Sleep advance the clock instead of blocking.
func (c *ManualClock) SetAutoAdvance(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.auto = on
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.now
}

// Waiters returns how many goroutines are blocked in Sleep, so that a test
// can move the clock only once the code under test is waiting.
func (c *ManualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.waiters
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.mu.now.Add(d))
}

// Backwards moves the clock back by d, as an NTP step would.
func (c *ManualClock) Backwards(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.mu.now.Add(-d))
}

// Set moves the clock to t, in either direction.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

func (c *ManualClock) setLocked(t time.Time) {
	c.mu.now = t
	close(c.mu.changed)
	c.mu.changed = make(chan struct{})
}

// Sleep waits until the clock has moved d past its reading at the call, or
// ctx is done. With AutoAdvance it advances the clock by d itself.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	target := c.mu.now.Add(d)
	if c.mu.auto {
		if d > 0 {
			c.setLocked(target)
		}
		c.mu.Unlock()
		return nil
	}
	c.mu.waiters++
	defer func() {
		c.mu.Lock()
		c.mu.waiters--
		c.mu.Unlock()
	}()
	for c.mu.now.Before(target) {
		changed := c.mu.changed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
		c.mu.Lock()
	}
	c.mu.Unlock()
	return nil
}
