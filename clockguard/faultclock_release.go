//go:build !faultclock

package clockguard

// FaultClockBuilt reports whether this binary was built with the faultclock
// tag. Release builds are not, and contain no FaultClock.
const FaultClockBuilt = false
