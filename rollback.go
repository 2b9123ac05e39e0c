package idcoord

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// errNoFreshWorker: every free WorkerID's window is ahead of the clock too.
var errNoFreshWorker = fmt.Errorf("%w: no free WorkerId whose window lies behind the clock", coord.ErrNoFreeWorker)

// signalRollback tells the serving loop that the clock went back further
// than can be waited out.
func (n *Node) signalRollback() {
	select {
	case n.rollback <- struct{}{}:
	default:
	}
}

// recoverRollback handles a large backward step of the clock under h. With
// LargeRollbackNewWorker it takes a fresh WorkerID whose window lies behind
// the clock, if one is free, and serves from it; otherwise, and always with
// LargeRollbackWait, it keeps h, whose generator refuses to issue until the
// clock passes the last ID it issued.
//
// Both keep IDs unique: h's generator never issues a tick at or below its
// last one, and a fresh WorkerID's IDs differ in the WorkerID bits from
// everything h issued, and lie above its own W (no earlier holder issued
// there). Only the wait keeps this node's IDs increasing: the fresh
// WorkerID's first IDs carry the earlier time, so they are below h's last.
func (n *Node) recoverRollback(ctx context.Context, h *holding) *holding {
	behind := n.layout.TimeOf(h.gen.LastTick()).Sub(n.cfg.Clock.Now())
	if behind <= n.cfg.MaxBackwardWait || time.Since(n.freshTried) < time.Second {
		return h // the generator waits out what is left, or we tried just now
	}
	if n.cfg.LargeRollback == LargeRollbackWait {
		// Never switch: the node's IDs must keep increasing. The generator
		// refuses ticks at or below its last until the clock passes it, and
		// Ready says so; count and log each rollback once.
		if h.gen.LastTick() == n.waitedTick {
			return h
		}
		n.waitedTick = h.gen.LastTick()
		n.guard.rollbacks.Add(1)
		n.log.Warn("clock stepped back; keeping the WorkerId and waiting for the clock to pass the last ID issued (clock.large-rollback: wait)",
			zap.Duration("behind", behind), zap.Int64("worker-id", h.gen.WorkerID()))
		return h
	}
	n.guard.rollbacks.Add(1)
	n.freshTried = time.Now()
	n.log.Warn("clock stepped back; looking for a fresh WorkerId", zap.Duration("behind", behind))
	// The fresh WorkerID serves only after its claim floor, claimWait past
	// the clock: allow for that wait.
	actx, cancel := context.WithTimeout(ctx, 5*time.Second+n.claimWait())
	fresh, err := n.acquire(actx, true)
	cancel()
	if err != nil {
		n.log.Warn("no fresh WorkerId; waiting for the clock to pass the last ID issued",
			zap.Error(err), zap.Duration("behind", behind))
		return h
	}
	n.guard.freshWorkers.Add(1)
	n.cur.Store(fresh)
	n.drop(ctx, h, "")
	return fresh
}
