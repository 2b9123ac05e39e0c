package idcoord

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/clockguard"
)

// claimFloor is the time every claim of a WorkerID (Start, a reacquire, a
// fresh WorkerID after a rollback) waits past before it issues, read at the
// claim.
//
// A holder of this WorkerID that the store forgot (a restore from an older
// backup, a ZooKeeper that lost its last writes) may still be issuing, cut
// off from the store, up to its own W. That W was reserved at most one
// Window past its clock, and only while the store still answered it, so
// before this claim; its clock is at most claimDrift ahead of ours. No store
// can tell us it did not forget, so every claim waits past now + Window +
// claimDrift. See the package doc, "A store that forgets" (HAZARD).
func (n *Node) claimFloor() time.Time { return n.cfg.Clock.Now().Add(n.claimWait()) }

// claimWait is how far the claim floor lies ahead of the clock, the longest
// a claim waits for it: a time limit on acquiring leaves room for it.
func (n *Node) claimWait() time.Duration { return n.cfg.Window + n.claimDrift() }

// claimDrift is how far another node's clock may be ahead of this one's:
// each node keeps within MaxDrift of the median of a sample of its peers'
// clocks, which, while most clocks are sound, is the fleet's common time; so
// two nodes are within twice that of each other.
func (n *Node) claimDrift() time.Duration { return 2 * n.cfg.MaxDrift }

// waitPast waits until the clock is past both t, the history of the
// WorkerID (its W, the node's own history and last report), and claim, the
// claim floor. t may be at most MaxStartupWait ahead of the clock; further is
// a refusal (the clock is behind what was issued: a large rollback). claim is
// waited for regardless: it is at most Window + claimDrift ahead, a bound of
// the configuration, not a sign of a bad clock.
func (n *Node) waitPast(ctx context.Context, t, claim time.Time, wid int64) error {
	now := n.cfg.Clock.Now()
	limit := max(n.cfg.MaxStartupWait, 0) // negative: none is waited out
	if behind := t.Sub(now); behind > limit {
		return fmt.Errorf("%w: clock %s is %s behind %s, the reserved window or last report of WorkerId %d; "+
			"more than clock.max-startup-wait (%s), refusing to start",
			ErrClockBehind, now.UTC().Format(time.RFC3339Nano), behind.Round(time.Millisecond),
			t.UTC().Format(time.RFC3339Nano), wid, limit)
	}
	what, reason := "the reserved window", ReasonClockBehind
	if claim.After(t) {
		t, what, reason = claim, "the claim floor (a holder the store may have forgotten)", ReasonClaimFloor
	}
	behind := t.Sub(now)
	if behind < 0 {
		return nil
	}
	n.log.Info("waiting for the clock to pass "+what, zap.Duration("wait", behind), zap.Int64("worker-id", wid))
	n.setReason(reason, fmt.Sprintf("waiting %s for the clock to pass %s", behind.Round(time.Millisecond), what))
	for !n.cfg.Clock.Now().After(t) {
		if err := clockguard.Sleep(ctx, n.cfg.Clock, max(t.Sub(n.cfg.Clock.Now()), time.Millisecond)); err != nil {
			return err
		}
	}
	return nil
}

// windowPast returns the first window to reserve, once it reaches past
// floor. A forward clock step no peer has confirmed ends the floor wait
// early on the wall clock, but W may reach only one Window past what the
// monotonic clock vouches for (see guard.vouchedWindow): wait on the
// monotonic clock until it does.
func (n *Node) windowPast(ctx context.Context, floor time.Time) (time.Time, error) {
	for {
		w := n.guard.vouchedWindow()
		if w.After(floor) {
			return w, nil
		}
		short := floor.Sub(w) + time.Millisecond
		n.setReason(ReasonClockAhead, fmt.Sprintf("the clock stepped forward unconfirmed; waiting %s for the monotonic clock to pass the floor",
			short.Round(time.Millisecond)))
		// Paced in real time, not on Config.Clock: that is the clock that stepped.
		if err := clockguard.Sleep(ctx, clockguard.System{}, short); err != nil {
			return time.Time{}, err
		}
	}
}
