package clockguard

import (
	"sync"
	"sync/atomic"
	"time"
)

// Monotonic reads a monotonic clock: time elapsed since some fixed origin.
type Monotonic func() time.Duration

var processStart = time.Now()

// SystemMonotonic reads the process's monotonic clock.
func SystemMonotonic() time.Duration { return time.Since(processStart) }

// StepDetector compares how far the wall clock moved with how far the
// monotonic clock moved, and bounds how far ahead of the monotonic clock's
// account the node may trust the wall clock. It is safe for concurrent use.
type StepDetector struct {
	wall      WallClock
	mono      Monotonic
	tolerance time.Duration

	forward, backward atomic.Int64

	mu struct {
		sync.Mutex
		lastWall   time.Time
		lastMono   time.Duration
		anchorWall time.Time // wall time last confirmed
		anchorMono time.Duration
	}
}

// NewStepDetector starts watching wall against mono; differences up to
// tolerance between checks are not steps. The current wall time counts as
// confirmed.
func NewStepDetector(wall WallClock, mono Monotonic, tolerance time.Duration) *StepDetector {
	if mono == nil {
		mono = SystemMonotonic
	}
	d := &StepDetector{wall: wall, mono: mono, tolerance: tolerance}
	d.Confirm()
	return d
}

// Observe returns how far the wall clock stepped since the last Observe or
// Confirm, beyond what the monotonic clock moved: positive for a forward
// step, negative for a backward one, zero within the tolerance.
func (d *StepDetector) Observe() time.Duration {
	wall, mono := d.wall.Now(), d.mono()
	d.mu.Lock()
	defer d.mu.Unlock()
	step := wall.Sub(d.mu.lastWall) - (mono - d.mu.lastMono)
	d.mu.lastWall, d.mu.lastMono = wall, mono
	switch {
	case step > d.tolerance:
		d.forward.Add(1)
		return step
	case step < -d.tolerance:
		d.backward.Add(1)
		return step
	}
	return 0
}

// Vouched is the wall time the monotonic clock vouches for: the last
// confirmed wall time plus the monotonic time elapsed since.
func (d *StepDetector) Vouched() time.Time {
	mono := d.mono()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.anchorWall.Add(mono - d.mu.anchorMono)
}

// Ahead is how far the wall clock is ahead of Vouched (zero if behind).
func (d *StepDetector) Ahead() time.Duration {
	return max(d.wall.Now().Sub(d.Vouched()), 0)
}

// Confirm accepts the current wall time as vouched for. Call it only after
// at least one peer agreed with it: Vouched then follows the wall clock, and
// a forward step confirmed by nobody would let the window run as far ahead
// as the step.
func (d *StepDetector) Confirm() {
	wall, mono := d.wall.Now(), d.mono()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mu.anchorWall, d.mu.anchorMono = wall, mono
	d.mu.lastWall, d.mu.lastMono = wall, mono
}

// Steps returns the numbers of forward and backward steps seen.
func (d *StepDetector) Steps() (forward, backward int64) {
	return d.forward.Load(), d.backward.Load()
}

// ManualMonotonic is a Monotonic clock for tests that moves only when told.
type ManualMonotonic struct{ now atomic.Int64 }

// Now reads the clock; pass it as a Monotonic.
func (m *ManualMonotonic) Now() time.Duration { return time.Duration(m.now.Load()) }

// Advance moves the clock forward by d.
func (m *ManualMonotonic) Advance(d time.Duration) { m.now.Add(int64(d)) }
