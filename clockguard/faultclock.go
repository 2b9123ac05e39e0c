//go:build faultclock

package clockguard

import (
	"sync/atomic"
	"time"
)

// FaultClockBuilt reports whether this binary was built with the faultclock
// tag. Release builds are not.
const FaultClockBuilt = true

// FaultClock is the system clock shifted by an offset that end-to-end tests
// change while the node runs, as an NTP step would, or frozen at one instant.
// It exists only in binaries built with the faultclock tag. It is safe for
// concurrent use.
type FaultClock struct {
	offset atomic.Int64 // nanoseconds added to the system clock
	frozen atomic.Int64 // unix nanoseconds to return while non-zero
}

// NewFaultClock returns a FaultClock with no offset.
func NewFaultClock() *FaultClock { return &FaultClock{} }

// Now returns the frozen instant, or the system time plus the offset.
func (c *FaultClock) Now() time.Time {
	if f := c.frozen.Load(); f != 0 {
		return time.Unix(0, f)
	}
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// SetOffset sets the offset from the system clock.
func (c *FaultClock) SetOffset(d time.Duration) { c.offset.Store(int64(d)) }

// Offset returns the offset from the system clock.
func (c *FaultClock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// Freeze stops the clock at its current reading (on) or lets it run again.
func (c *FaultClock) Freeze(on bool) {
	if !on {
		c.frozen.Store(0)
		return
	}
	c.frozen.Store(c.Now().UnixNano())
}
