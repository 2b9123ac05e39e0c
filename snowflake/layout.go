package snowflake

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Layout describes how an ID's 63 usable bits are split. The zero value is not
// valid; start from a preset (Preset, Twitter) and override fields.
type Layout struct {
	// TimeBits is the width of the timestamp field, in ticks since Epoch.
	TimeBits int
	// TimeUnit is the length of one tick: a whole number of milliseconds, at
	// least 1ms.
	TimeUnit time.Duration
	// DatacenterBits is the width of the datacenter field, between the time
	// and the worker fields; 0 means the layout has none. A cluster is one
	// datacenter: its WorkerIDs repeat those of other datacenters, and the
	// datacenter field keeps their IDs apart.
	DatacenterBits int
	// WorkerBits is the width of the WorkerID field.
	WorkerBits int
	// SequenceBits is the width of the per-tick sequence field.
	SequenceBits int
	// Epoch is the time of tick 0.
	Epoch time.Time
}

// Validate checks the layout at the current time. See ValidateAt.
func (l Layout) Validate() error { return l.ValidateAt(time.Now()) }

// ValidateAt reports whether the layout is usable at now: a valid shape (see
// ValidateShape), an epoch not after now, and a lifetime that has not ended.
func (l Layout) ValidateAt(now time.Time) error {
	if err := l.ValidateShape(); err != nil {
		return err
	}
	if l.Epoch.After(now) {
		return fmt.Errorf("%w: epoch %s is %s after now (%s)", ErrEpochInFuture,
			l.Epoch.UTC().Format(time.RFC3339Nano), l.Epoch.Sub(now).Round(time.Millisecond), now.UTC().Format(time.RFC3339))
	}
	if l.EndedAt(now) {
		return fmt.Errorf("%w: %d time bits of %s from epoch %s ran out on %s; set a later epoch", ErrLifetimeEnded,
			l.TimeBits, l.TimeUnit, l.Epoch.UTC().Format(time.RFC3339), l.End().UTC().Format(time.RFC3339))
	}
	return nil
}

// EndedAt reports whether the layout's lifetime is over at now: its time
// bits can no longer hold now's tick. An ended layout still decodes the IDs
// it issued, but issues none until its Epoch is moved later.
func (l Layout) EndedAt(now time.Time) bool { return !now.Before(l.End()) }

// lastYear is the last year an RFC 3339 time can show. An epoch and a
// lifetime end before it, which also keeps tick arithmetic far from
// overflowing.
const lastYear = 9999

// ValidateShape checks everything that does not depend on the current time:
// bits that fit in 63, no zero-width field (the datacenter field may be
// absent: 0 bits, never fewer), a whole-millisecond unit of at
// least 1ms, an epoch at or after 1970 that is a whole millisecond, and a
// lifetime that ends before the year 9999. A layout that passes it decodes
// IDs; one that issues them must also pass ValidateAt.
func (l Layout) ValidateShape() error {
	for _, f := range []struct {
		name string
		bits int
	}{{"time", l.TimeBits}, {"worker", l.WorkerBits}, {"sequence", l.SequenceBits}} {
		if f.bits <= 0 {
			return fmt.Errorf("%w: %s bits is %d; every field needs at least 1 bit", ErrZeroWidth, f.name, f.bits)
		}
	}
	if l.DatacenterBits < 0 {
		return fmt.Errorf("%w: datacenter bits is %d; it is 0 (no datacenter field) or more", ErrZeroWidth, l.DatacenterBits)
	}
	if sum := l.TimeBits + l.DatacenterBits + l.WorkerBits + l.SequenceBits; sum > 63 {
		dc := ""
		if l.DatacenterBits != 0 {
			dc = fmt.Sprintf(" + %d datacenter", l.DatacenterBits)
		}
		return fmt.Errorf("%w: %d time%s + %d worker + %d sequence = %d bits", ErrBitsOverflow,
			l.TimeBits, dc, l.WorkerBits, l.SequenceBits, sum)
	}
	if l.TimeUnit < time.Millisecond || l.TimeUnit%time.Millisecond != 0 {
		return fmt.Errorf("%w: %s; it must be a whole number of milliseconds, 1ms or more", ErrTimeUnit, l.TimeUnit)
	}
	epoch := l.Epoch.UTC().Format(time.RFC3339Nano)
	switch {
	case l.Epoch.Before(time.Unix(0, 0)):
		return fmt.Errorf("%w: %s is before 1970-01-01T00:00:00Z", ErrEpoch, epoch)
	case l.Epoch.Nanosecond()%int(time.Millisecond) != 0:
		return fmt.Errorf("%w: %s is not a whole millisecond; layouts count milliseconds", ErrEpoch, epoch)
	case l.Epoch.UTC().Year() >= lastYear:
		return fmt.Errorf("%w: %s is in the year %d or later", ErrEpoch, epoch, lastYear)
	case l.End().Year() >= lastYear:
		return fmt.Errorf("%w: %d time bits of %s from %s run out in the year %d or later; use fewer time bits or a shorter unit",
			ErrLifetimeTooLong, l.TimeBits, l.TimeUnit, epoch, lastYear)
	}
	return nil
}

// ValidateReserved reports whether reserved WorkerIDs fit the layout and
// leave at least one WorkerID to hand out. Duplicates count once.
func (l Layout) ValidateReserved(reserved []int64) error {
	for _, id := range reserved {
		if err := l.ValidateWorkerID(id, nil); err != nil {
			return err
		}
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(reserved)))); int64(n) > l.MaxWorkerID() {
		return fmt.Errorf("%w: the list reserves all %d WorkerIds of the layout (0..%d), leaving none to hand out",
			ErrAllReserved, n, l.MaxWorkerID())
	}
	return nil
}

// MaxWorkerID is the largest WorkerID the layout can hold.
func (l Layout) MaxWorkerID() int64 { return 1<<l.WorkerBits - 1 }

// MaxDatacenterID is the largest datacenter ID the layout can hold: 0 when
// it has no datacenter field.
func (l Layout) MaxDatacenterID() int64 { return 1<<l.DatacenterBits - 1 }

// Datacenters is how many datacenters the layout tells apart: 1 when it has
// no datacenter field.
func (l Layout) Datacenters() int64 { return 1 << l.DatacenterBits }

// HasDatacenter reports whether the layout has a datacenter field.
func (l Layout) HasDatacenter() bool { return l.DatacenterBits > 0 }

// MaxSequence is the largest sequence number in one tick.
func (l Layout) MaxSequence() int64 { return 1<<l.SequenceBits - 1 }

// MaxTick is the last tick the time bits can hold.
func (l Layout) MaxTick() int64 { return 1<<l.TimeBits - 1 }

// End is the first instant the time bits can no longer hold: the end of the
// layout's lifetime. Lifetimes beyond year 9999 are reported as year 9999.
func (l Layout) End() time.Time {
	unitMS := l.TimeUnit.Milliseconds()
	ticks := uint64(1) << l.TimeBits
	maxMS := uint64(math.MaxInt64/2) - uint64(max(l.Epoch.UnixMilli(), 0))
	if unitMS <= 0 || ticks > maxMS/uint64(unitMS) {
		return time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	}
	end := l.Epoch.UnixMilli() + int64(ticks)*unitMS
	if y := time.UnixMilli(end).Year(); y > 9999 {
		return time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	}
	return time.UnixMilli(end).UTC()
}

// Lifetime is how long the time bits last from the epoch.
func (l Layout) Lifetime() time.Duration { return l.End().Sub(l.Epoch) }

// Capacity is the most IDs one worker can issue per second.
func (l Layout) Capacity() float64 {
	return float64(int64(1)<<l.SequenceBits) * float64(time.Second) / float64(l.TimeUnit)
}

// TickOf returns the tick that t falls in. It may be negative (before the
// epoch) or beyond MaxTick (after the lifetime); callers check.
func (l Layout) TickOf(t time.Time) int64 {
	ms := t.UnixMilli() - l.Epoch.UnixMilli()
	unit := l.TimeUnit.Milliseconds()
	if ms < 0 {
		return (ms - unit + 1) / unit // floor division
	}
	return ms / unit
}

// TimeOf returns the start of tick.
func (l Layout) TimeOf(tick int64) time.Time {
	return time.UnixMilli(l.Epoch.UnixMilli() + tick*l.TimeUnit.Milliseconds()).UTC()
}

// ValidateWorkerID reports whether id fits the layout and is not in reserved.
func (l Layout) ValidateWorkerID(id int64, reserved []int64) error {
	if id < 0 || id > l.MaxWorkerID() {
		return fmt.Errorf("%w: %d does not fit %d worker bits (0..%d)", ErrWorkerIDRange, id, l.WorkerBits, l.MaxWorkerID())
	}
	if slices.Contains(reserved, id) {
		return fmt.Errorf("%w: %d is in worker.reserved %v (unconfigured Snowflake libraries default to 0, so it is never handed out)",
			ErrWorkerIDReserved, id, reserved)
	}
	return nil
}

// ValidateDatacenterID reports whether id fits the layout's datacenter
// field: 0..MaxDatacenterID, only 0 when the layout has none.
func (l Layout) ValidateDatacenterID(id int64) error {
	if id < 0 || id > l.MaxDatacenterID() {
		if !l.HasDatacenter() {
			return fmt.Errorf("%w: %d, but the layout has no datacenter field (0 datacenter bits); only 0 fits", ErrDatacenterIDRange, id)
		}
		return fmt.Errorf("%w: %d does not fit %d datacenter bits (0..%d)", ErrDatacenterIDRange, id, l.DatacenterBits, l.MaxDatacenterID())
	}
	return nil
}

// String describes the layout in one line.
func (l Layout) String() string {
	dc := ""
	if l.HasDatacenter() {
		dc = fmt.Sprintf("%d datacenter bits, ", l.DatacenterBits)
	}
	return fmt.Sprintf("%d time bits of %s, %s%d worker bits, %d sequence bits, epoch %s",
		l.TimeBits, l.TimeUnit, dc, l.WorkerBits, l.SequenceBits, l.Epoch.UTC().Format(time.RFC3339Nano))
}
