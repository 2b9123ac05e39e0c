package idcoord

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/snowflake"
)

// acquireAtStart checks the clock against the peers and acquires a WorkerID,
// retrying while the store is unreachable, until StartTimeout.
func (n *Node) acquireAtStart(ctx context.Context) (*holding, error) {
	var h *holding
	var live liveName
	err := coord.RetryUnreachable(ctx, coord.Retry{
		Timeout: n.cfg.StartTimeout,
		// The claim floor's wait (claimWait, in acquire) comes on top of
		// StartTimeout, so that a short StartTimeout does not cut every
		// start short.
		Grace: n.claimWait(),
		Stop: func(err error) error {
			switch {
			case errors.Is(err, clockguard.ErrDrift):
				return fmt.Errorf("%w; refusing to start", err)
			case errors.Is(err, coord.ErrNodeLive):
				// A node name still live in the store may be this node's
				// own crashed predecessor, whose session or lease has yet
				// to expire: retry for as long as that can take.
				return live.check(err, time.Now())
			case errors.Is(err, coord.ErrUnreachable):
				return nil
			}
			return err
		},
		Waiting: func(err error, wait time.Duration) {
			if errors.Is(err, coord.ErrNodeLive) {
				n.log.Warn("node name is live; waiting for a crashed predecessor's lease to expire", zap.Error(err), zap.Duration("backoff", wait))
				return
			}
			n.log.Warn("cannot acquire yet, retrying", zap.Error(err), zap.Duration("backoff", wait))
		},
	}, func(ctx context.Context) error {
		if err := n.guard.checkPeers(ctx); err != nil {
			return err
		}
		var err error
		h, err = n.acquire(ctx, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// liveNameSlack is added to how long a dead holder can keep a node name:
// the store expires leases on its own schedule, not to the millisecond.
const liveNameSlack = 2 * time.Second

// liveName follows the holder of this node's name while Start waits for a
// crashed predecessor to let go of it.
type liveName struct {
	holder string
	first  time.Time // when holder was first seen, on the monotonic clock
	until  time.Time // a dead holder has let go by then
}

// check returns nil while the name's holder may still be a crashed
// predecessor, and a refusal once the same holder has kept the name longer
// than a dead one could: it is alive. A backend that does not say who holds
// the name (or for how long) is retried until StartTimeout.
func (l *liveName) check(err error, now time.Time) error {
	var nl *coord.NodeLiveError
	if !errors.As(err, &nl) || nl.Holder == "" || nl.Within <= 0 {
		return nil
	}
	if nl.Holder != l.holder {
		l.holder, l.first, l.until = nl.Holder, now, now.Add(nl.Within+liveNameSlack)
		return nil
	}
	if now.Before(l.until) {
		return nil
	}
	return fmt.Errorf("refusing to start: still held %s after it was first seen, longer than a dead holder keeps it: %w",
		now.Sub(l.first).Round(time.Second), err)
}

// acquire claims a WorkerID, waits until the clock passes everything issued
// under it before (and the node's own history) and its claim floor, and
// reserves the first window with one successful compare-and-swap.
//
// With fresh set, it is recovering from a clock rollback: it accepts only a
// WorkerID whose W lies behind the clock, and does not wait for the node's
// own history, because IDs under another WorkerID cannot collide with it.
func (n *Node) acquire(ctx context.Context, fresh bool) (*holding, error) {
	// The one read of leaf_forever/<node> per claim: its WorkerID is the
	// sticky one (passed to the backend as Claim.Sticky, which then does
	// not read it again), its time a floor (below).
	report, hasReport, err := n.cfg.Backend.LastReport(ctx, n.cfg.Node)
	n.storeErrs.note(opAcquire, err)
	if err != nil && !errors.Is(err, coord.ErrBadRecord) {
		return nil, err
	}
	lease, err := n.claimGoodW(ctx, report, hasReport)
	n.storeErrs.note(opAcquire, err)
	if err != nil {
		return nil, err
	}
	floor := lease.HighWater()
	// This node's own last W under this WorkerID, kept outside the store:
	// a store restored from an older backup may hand back a W below IDs
	// this node issued. A floor only (see localHistory).
	if local := n.history.floor(lease.WorkerID()); local.After(floor) {
		n.log.Warn("the local history is ahead of the store's W: the store may have been restored from an older backup",
			zap.Int64("worker-id", lease.WorkerID()), zap.Time("store-w", floor), zap.Time("local-w", local))
		floor = local
	}
	claimFloor := n.claimFloor() // every claim waits past it: see claimFloor
	if fresh {
		if !floor.Before(n.cfg.Clock.Now()) {
			return n.giveBack(ctx, lease, errNoFreshWorker)
		}
	} else {
		if hasReport && report.Time().After(floor) {
			floor = report.Time()
		}
		n.mu.Lock()
		if n.mu.lastTime.After(floor) {
			floor = n.mu.lastTime
		}
		n.mu.Unlock()
	}
	// The history floor may refuse (too far ahead: a large rollback); the
	// claim floor is always waited, whatever MaxStartupWait says.
	if err := n.waitPast(ctx, floor, claimFloor, lease.WorkerID()); err != nil {
		return n.giveBack(ctx, lease, err)
	}
	if claimFloor.After(floor) {
		floor = claimFloor
	}
	w, err := n.windowPast(ctx, floor)
	if err != nil {
		return n.giveBack(ctx, lease, err)
	}
	if err := lease.Reserve(ctx, w); err != nil {
		n.storeErrs.note(opReserve, err)
		return n.giveBack(ctx, lease, err)
	}
	n.remember(lease.WorkerID(), w)
	gen, err := snowflake.New(snowflake.Config{
		Layout:          n.layout,
		DatacenterID:    n.cfg.DatacenterID,
		WorkerID:        lease.WorkerID(),
		Reserved:        []int64{}, // the backend enforced the reserved list
		Floor:           max(0, n.layout.TickOf(floor)),
		Ceiling:         n.layout.TickOf(w),
		Clock:           n.cfg.Clock,
		MaxBackwardWait: n.cfg.MaxBackwardWait,
	})
	if err != nil {
		return n.giveBack(ctx, lease, err)
	}
	n.log.Info("serving", zap.Int64("worker-id", lease.WorkerID()), zap.Time("floor", floor), zap.Time("high-water", w))
	return &holding{lease: lease, gen: gen, floor: floor, since: time.Now()}, nil
}

// claimGoodW claims a WorkerID whose W this node's layout can have. W is
// the floor of everything this holder issues: one no holder of this layout
// can have written (before its epoch, past its lifetime) means the true W
// was lost, and serving above it could repeat IDs. The backend checked what
// holds under every layout; this adds ours. A refused WorkerID is given
// back and left out of this node's claims for badWPause (see badWorkers),
// and the claim goes on with another, up to badWTries claims.
func (n *Node) claimGoodW(ctx context.Context, report coord.Report, hasReport bool) (coord.Lease, error) {
	bounds := coord.HighWaterBounds{Epoch: n.layout.Epoch, End: n.layout.End()}
	var refused error
	for range badWTries {
		c, out := n.badW.claim(n.claim, time.Now())
		c.Sticky = -1
		if hasReport && report.WorkerID > 0 {
			c.Sticky = report.WorkerID
		}
		lease, err := n.cfg.Backend.Acquire(ctx, c)
		if errors.Is(err, coord.ErrNoFreeWorker) && len(out) > 0 {
			return nil, n.badW.explain(err, out)
		}
		if err != nil {
			return nil, err
		}
		floor := lease.HighWater()
		if floor.IsZero() {
			return lease, nil
		}
		refused = coord.CheckHighWater(fmt.Sprintf("W of WorkerId %d", lease.WorkerID()), floor.UnixMilli(), bounds)
		if refused == nil {
			return lease, nil
		}
		n.log.Warn("leaving out a WorkerId whose W this layout cannot have", zap.Int64("worker-id", lease.WorkerID()),
			zap.Duration("for", badWPause), zap.Error(refused))
		n.badW.add(lease.WorkerID(), refused, time.Now())
		n.giveBack(ctx, lease, nil) //nolint:errcheck // refused is the error that matters
	}
	return nil, refused
}

// giveBack releases a lease that acquire claimed but will not serve from,
// leaving its W as the store has it, and returns err.
func (n *Node) giveBack(ctx context.Context, lease coord.Lease, err error) (*holding, error) {
	n.storeErrs.note(opRelease, release(ctx, lease, lease.HighWater())) // the error that made us give back matters more
	return nil, err
}

// release gives lease back with last as its W, so that another node can take
// the WorkerID at once. It has 2s for that, even once ctx is done: the
// caller is often giving up because of ctx.
func release(ctx context.Context, lease coord.Lease, last time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	return lease.Release(ctx, last)
}

// backoff paces reacquire's retries at a store that does not answer: 100ms
// at first, doubling up to 2s. (Start's retries, bounded by
// StartTimeout, go through coord.RetryUnreachable, with the same pace.)
type backoff struct{ pause time.Duration }

func newBackoff() *backoff { return &backoff{pause: coord.DefaultBackoff} }

// wait waits out the pause, then doubles the next one. It returns false as
// soon as ctx is done.
func (b *backoff) wait(ctx context.Context) bool {
	if clockguard.Sleep(ctx, clockguard.System{}, b.pause) != nil {
		return false
	}
	b.pause = min(2*b.pause, coord.DefaultMaxBackoff)
	return true
}
