package snowflake

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// DefaultMaxBackwardWait is how far back the clock may step and still be
// waited out, as in Meituan Leaf.
const DefaultMaxBackwardWait = 5 * time.Millisecond

// spinBelow is the wait under which the generator spins (yielding the
// processor) instead of arming a timer: timers overshoot by more than a tick.
const spinBelow = 2 * time.Millisecond

// Clock is the wall clock a Generator reads. It must be safe for concurrent
// use. A clock that also has a Sleep(ctx, d) error method (as
// clockguard.ManualClock does) is used for waiting, too.
type Clock interface {
	Now() time.Time
}

type sleeper interface {
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// A reading is what the generator knows of the clock for one claim: the tick,
// and the wall time when it was read (zero when the tick came from the
// monotonic estimate, which is trusted only inside the last ID's tick).
type reading struct {
	tick int64
	now  time.Time
}

// Config configures a Generator. Zero fields take the documented defaults.
type Config struct {
	// Layout of the IDs. Zero means Twitter().
	Layout Layout
	// WorkerID stamped into every ID. It must fit the layout and must not be
	// in Reserved.
	WorkerID int64
	// DatacenterID stamped into every ID, above the WorkerID. It must fit
	// the layout's datacenter field: 0 when the layout has none.
	DatacenterID int64
	// Reserved WorkerIDs, refused by New. Nil means DefaultReserved ([0]); an
	// empty, non-nil slice reserves nothing.
	Reserved []int64
	// Floor is the tick every ID must be after: IDs have tick > Floor.
	Floor int64
	// Ceiling is the last tick an ID may carry until RaiseCeiling raises it.
	// Zero means the layout's MaxTick (no reservation).
	Ceiling int64
	// Clock gives wall time. Nil means time.Now.
	Clock Clock
	// MaxBackwardWait is the largest backward clock step that is waited out.
	// Zero means DefaultMaxBackwardWait; negative means never wait.
	MaxBackwardWait time.Duration
}

// Generator issues strictly increasing IDs for one WorkerID inside the window
// floor < tick <= ceiling. It is safe for concurrent use; the path that
// issues an ID takes no lock and does not allocate.
type Generator struct {
	// state is the last issued tick<<sequenceBits | sequence, with the sign
	// bit set once Stop has been called.
	state   atomic.Int64
	ceiling atomic.Int64

	layout     Layout
	clock      Clock
	sleeper    sleeper // clock's own Sleep, if it has one
	floor      int64
	seqBits    int
	seqMask    int64
	timeShift  int
	workerPart int64 // the datacenter and worker fields, in place
	epochMS    int64
	unitMS     int64
	maxTick    int64
	maxBack    time.Duration

	// With the system clock, the tick is estimated from the monotonic clock
	// (one vDSO read, where time.Now makes two) as wallOffset + time.Since(base),
	// and the wall clock is read, and the offset re-anchored, only when that
	// estimate leaves the tick of the last ID. A wall step is therefore seen
	// at the next tick boundary at the latest.
	monotonic  bool
	base       time.Time
	wallOffset atomic.Int64 // wall Unix ns minus monotonic ns since base

	sequenceWaits atomic.Int64
	rollbackWaits atomic.Int64
	rollbacks     atomic.Int64
	ceilingHits   atomic.Int64
}

// New returns a Generator. It returns an error wrapping ErrZeroWidth,
// ErrBitsOverflow, ErrTimeUnit, ErrEpoch, ErrLifetimeTooLong (see
// Layout.ValidateShape), ErrDatacenterIDRange, ErrWorkerIDRange,
// ErrWorkerIDReserved or ErrBadWindow. It does not check the epoch against the clock; call
// Layout.Validate for that.
func New(cfg Config) (*Generator, error) {
	if cfg.Layout == (Layout{}) {
		cfg.Layout = Twitter()
	}
	l := cfg.Layout
	if err := l.ValidateShape(); err != nil {
		return nil, err
	}
	reserved := cfg.Reserved
	if reserved == nil {
		reserved = DefaultReserved
	}
	if err := l.ValidateDatacenterID(cfg.DatacenterID); err != nil {
		return nil, err
	}
	if err := l.ValidateWorkerID(cfg.WorkerID, reserved); err != nil {
		return nil, err
	}
	if cfg.Ceiling == 0 {
		cfg.Ceiling = l.MaxTick()
	}
	if cfg.Floor < 0 || cfg.Ceiling > l.MaxTick() || cfg.Ceiling < cfg.Floor {
		return nil, fmt.Errorf("%w: floor %d, ceiling %d (ticks must satisfy 0 <= floor <= ceiling <= %d)",
			ErrBadWindow, cfg.Floor, cfg.Ceiling, l.MaxTick())
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.MaxBackwardWait == 0 {
		cfg.MaxBackwardWait = DefaultMaxBackwardWait
	}
	g := &Generator{
		layout:     l,
		clock:      cfg.Clock,
		floor:      cfg.Floor,
		seqBits:    l.SequenceBits,
		seqMask:    l.MaxSequence(),
		timeShift:  l.timeShift(),
		workerPart: (cfg.DatacenterID<<l.WorkerBits | cfg.WorkerID) << l.SequenceBits,
		epochMS:    l.Epoch.UnixMilli(),
		unitMS:     l.TimeUnit.Milliseconds(),
		maxTick:    l.MaxTick(),
		maxBack:    cfg.MaxBackwardWait,
	}
	g.sleeper, _ = cfg.Clock.(sleeper)
	if _, ok := cfg.Clock.(systemClock); ok {
		g.monotonic = true
		g.base = time.Now()
		g.wallOffset.Store(g.base.UnixNano())
	}
	// The floor tick counts as used up, so the first ID lands after it.
	g.state.Store(cfg.Floor<<l.SequenceBits | l.MaxSequence())
	g.ceiling.Store(cfg.Ceiling)
	return g, nil
}

// Layout returns the generator's layout.
func (g *Generator) Layout() Layout { return g.layout }

// WorkerID returns the WorkerID stamped into every ID.
func (g *Generator) WorkerID() int64 { return g.workerPart >> g.seqBits & g.layout.MaxWorkerID() }

// DatacenterID returns the datacenter ID stamped into every ID.
func (g *Generator) DatacenterID() int64 {
	return g.workerPart >> (g.layout.WorkerBits + g.seqBits) & g.layout.MaxDatacenterID()
}

// Floor returns the tick every ID is after.
func (g *Generator) Floor() int64 { return g.floor }

// Ceiling returns the last tick an ID may carry now.
func (g *Generator) Ceiling() int64 { return g.ceiling.Load() }

// LastTick returns the tick of the last ID issued, or the floor if none was.
func (g *Generator) LastTick() int64 { return g.state.Load() &^ stopped >> g.seqBits }

// RaiseCeiling raises the ceiling to tick. A lower value is ignored: the
// ceiling never moves down. Call it only after the reservation up to tick is
// durable.
func (g *Generator) RaiseCeiling(tick int64) {
	tick = min(tick, g.maxTick)
	for {
		cur := g.ceiling.Load()
		if tick <= cur || g.ceiling.CompareAndSwap(cur, tick) {
			return
		}
	}
}

// stopped is the sign bit of state: set, the generator issues nothing more.
const stopped = -1 << 63

// Stop makes the generator refuse every later request with ErrStopped and
// returns the tick of the last ID it issued (the floor if none). No ID with a
// later tick is issued after Stop returns, so the caller may persist that
// tick as the final high-water mark.
func (g *Generator) Stop() (lastTick int64) {
	for {
		old := g.state.Load()
		if old < 0 || g.state.CompareAndSwap(old, old|stopped) {
			return old &^ stopped >> g.seqBits
		}
	}
}

// Stats counts the generator's slow paths since New.
type Stats struct {
	SequenceWaits int64 `json:"sequence_waits"` // waits for the next tick after a tick's sequence ran out
	RollbackWaits int64 `json:"rollback_waits"` // small backward clock steps waited out
	Rollbacks     int64 `json:"rollbacks"`      // backward steps too large to wait out (ErrClockRollback)
	CeilingHits   int64 `json:"ceiling_hits"`   // requests refused because the clock passed the ceiling
}

// Stats returns the slow-path counters.
func (g *Generator) Stats() Stats {
	return Stats{
		SequenceWaits: g.sequenceWaits.Load(),
		RollbackWaits: g.rollbackWaits.Load(),
		Rollbacks:     g.rollbacks.Load(),
		CeilingHits:   g.ceilingHits.Load(),
	}
}

// NextID issues one ID. It may wait out a small clock rollback or the end of
// a tick's sequence; ctx bounds that wait. It returns an error wrapping
// ErrClockRollback, ErrCeiling or ErrLifetimeEnded, or ctx's error, and then
// issues nothing.
func (g *Generator) NextID(ctx context.Context) (int64, error) {
	r := g.read()
	// Fast path: the clock is still in the last ID's tick (a stopped state is
	// negative, so never matches) and its sequence has room. The ceiling needs
	// no check: that tick was under it, and the ceiling never moves down.
	// Losing the swap to another caller in the same tick only means it took
	// a sequence number: try the next one.
	for old := g.state.Load(); r.tick == old>>g.seqBits && old&g.seqMask != g.seqMask; old = g.state.Load() {
		if g.state.CompareAndSwap(old, old+1) {
			return r.tick<<g.timeShift | g.workerPart | (old+1)&g.seqMask, nil
		}
	}
	for {
		old := g.state.Load()
		next, _, err := g.claim(ctx, r, old, 1)
		if err != nil {
			return 0, err
		}
		if next < 0 { // waited; read the clock again
			r = g.read()
			continue
		}
		if g.state.CompareAndSwap(old, next) {
			return next>>g.seqBits<<g.timeShift | g.workerPart | next&g.seqMask, nil
		}
		// Lost a race: another caller took a sequence number, not time. Keep
		// the tick, trusted (like an estimate) only inside the last ID's tick.
		r.now = time.Time{}
	}
}

// NextIDs issues n IDs, in increasing order. It claims as much of a tick's
// sequence as it can in one step, so a batch costs about one claim per tick
// rather than one per ID. Errors are as for NextID; on error, IDs already
// claimed for this call are not returned, and are never issued again.
func (g *Generator) NextIDs(ctx context.Context, n int) ([]int64, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: got %d", ErrBadCount, n)
	}
	return g.AppendIDs(ctx, make([]int64, 0, n), n)
}

// AppendIDs issues n IDs and appends them to dst, as NextIDs does, without
// allocating when dst has room.
func (g *Generator) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	for n > 0 {
		r := g.read()
		old := g.state.Load()
		last, k, err := g.claim(ctx, r, old, int64(n))
		if err != nil {
			return dst, err
		}
		if last < 0 {
			continue
		}
		if !g.state.CompareAndSwap(old, last) {
			continue
		}
		id := last>>g.seqBits<<g.timeShift | g.workerPart | last&g.seqMask
		for i := k - 1; i >= 0; i-- {
			dst = append(dst, id-i)
		}
		n -= int(k)
	}
	return dst, nil
}

// claim decides, from the last issued state old and the clock, the state that
// issuing up to want IDs moves to (the last one claimed) and how many that
// is. It returns -1 after waiting, so that the caller reads the clock and the
// state again.
func (g *Generator) claim(ctx context.Context, r reading, old, want int64) (last, k int64, err error) {
	// Any decision but "same tick" is made on the wall clock, and a step back
	// is judged only on a reading taken after old was loaded: a reading made
	// before it, by a caller that was then preempted, is merely stale.
	if r.now.IsZero() && r.tick != old>>g.seqBits || r.tick < old>>g.seqBits {
		r = g.readWall()
	}
	tick, now := r.tick, r.now
	lastTick, seq := old>>g.seqBits, old&g.seqMask
	switch {
	case old < 0:
		return 0, 0, ErrStopped
	case tick < lastTick:
		// Check a rollback before anything else, so no sequence is reused.
		behind := g.layout.TimeOf(lastTick).Sub(now)
		if g.maxBack < 0 || behind > g.maxBack {
			g.rollbacks.Add(1)
			return 0, 0, fmt.Errorf("%w: clock %s is %s behind tick %d (%s), more than the %s that is waited out",
				ErrClockRollback, now.UTC().Format(time.RFC3339Nano), behind, lastTick,
				g.layout.TimeOf(lastTick).Format(time.RFC3339Nano), max(g.maxBack, 0))
		}
		g.rollbackWaits.Add(1)
		return -1, 0, g.waitUntil(ctx, g.layout.TimeOf(lastTick))
	case tick == lastTick && seq == g.seqMask:
		g.sequenceWaits.Add(1)
		return -1, 0, g.waitUntil(ctx, g.layout.TimeOf(lastTick+1))
	case tick == lastTick:
		k = min(want, g.seqMask-seq)
		last = old + k
	default:
		if tick > g.maxTick {
			return 0, 0, fmt.Errorf("%w: tick %d is past the last tick %d (%s)", ErrLifetimeEnded, tick, g.maxTick, g.layout.End())
		}
		k = min(want, g.seqMask+1)
		last = tick<<g.seqBits + k - 1
	}
	if c := g.ceiling.Load(); last>>g.seqBits > c {
		g.ceilingHits.Add(1)
		return 0, 0, fmt.Errorf("%w: clock %s is past the reserved ceiling %s", ErrCeiling,
			now.UTC().Format(time.RFC3339Nano), g.layout.TimeOf(c+1).Format(time.RFC3339Nano))
	}
	return last, k, nil
}

// read returns the current tick: with the system clock, an estimate from the
// monotonic clock; with any other clock, a reading of it.
func (g *Generator) read() reading {
	if !g.monotonic {
		return g.readWall()
	}
	tick := (g.wallOffset.Load()+int64(time.Since(g.base)))/int64(time.Millisecond) - g.epochMS
	if g.unitMS != 1 { // a division costs as much as the rest of this path
		tick /= g.unitMS
	}
	return reading{tick: tick}
}

// readWall reads the wall clock and, with the system clock, re-anchors the
// monotonic estimate to it.
func (g *Generator) readWall() reading {
	now := g.clock.Now()
	if g.monotonic {
		g.wallOffset.Store(now.UnixNano() - int64(now.Sub(g.base)))
	}
	tick := now.UnixMilli() - g.epochMS
	if g.unitMS != 1 {
		tick /= g.unitMS
	}
	return reading{tick: tick, now: now}
}

// waitUntil waits until the clock reads at least t, or ctx is done. Short
// waits spin, yielding the processor, because a timer would overshoot the
// tick it waits for; long ones sleep most of the way first.
func (g *Generator) waitUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(g.clock.Now())
	if d <= 0 {
		return nil
	}
	if g.sleeper != nil {
		return g.sleeper.Sleep(ctx, d)
	}
	if d > spinBelow {
		timer := time.NewTimer(d - spinBelow/2)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
	for g.clock.Now().Before(t) {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return nil
}
