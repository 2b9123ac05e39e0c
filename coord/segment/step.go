package segment

import "time"

// Leaf's bounds on how long a segment should last: a node that uses one up
// faster than stepFast takes twice as many IDs next time, one that needs
// longer than stepSlow takes half as many.
const (
	stepFast = 15 * time.Minute
	stepSlow = 30 * time.Minute
)

// nextStep is the step of the fetch after a segment of step IDs that lasted
// lasted (from its fetch to this one): doubled under stepFast, up to
// maxStep; kept up to stepSlow; halved beyond, never below minStep, the
// record's step. A step already above maxStep (the record's own step may
// be) is not lowered by the cap.
func nextStep(step, minStep, maxStep int64, lasted time.Duration) int64 {
	switch {
	case lasted < stepFast:
		return max(step, min(2*step, maxStep))
	case lasted <= stepSlow:
		return step
	default:
		return max(step/2, minStep, 1)
	}
}

// monoClock reads the monotonic clock as the time since some fixed
// instant. Only differences between two readings mean anything.
type monoClock interface {
	Since() time.Duration
}

// realClock is the process's monotonic clock.
type realClock struct{ start time.Time }

// Since is the monotonic time since c was made (time.Since uses the
// monotonic reading, so a wall-clock step does not move it).
func (c realClock) Since() time.Duration { return time.Since(c.start) }
