package zkcoord

import (
	"context"
	"fmt"

	"github.com/idcoord/idcoord/coord"
)

// Acquire claims a WorkerID for c, in the Backend's mode (see the package
// doc), and returns the Lease that holds it. The lease's HighWater is the W
// read just before the claim's compare-and-swap, so nothing was written in
// between. Errors wrap coord.ErrNoFreeWorker, coord.ErrNodeLive,
// coord.ErrUnreachable, coord.ErrBadRecord, ErrBadName or ctx's error.
//
// A node that holds a WorkerID through this Backend may ask for another
// (a fresh one, after a large backward clock step) before it releases the
// first: in ephemeral mode it gets another WorkerID and its peer record
// names the new one; in sequential mode its identity has no other, and the
// error wraps coord.ErrNoFreeWorker. A node name held through another
// session is refused with coord.ErrNodeLive. Claims of one Backend run one
// at a time.
func (b *Backend) Acquire(ctx context.Context, c coord.Claim) (coord.Lease, error) {
	if err := checkName("node name", c.Node); err != nil {
		return nil, err
	}
	if c.MaxWorkerID < 1 {
		return nil, fmt.Errorf("%w: the largest WorkerId is %d, which leaves none but the reserved 0", coord.ErrNoFreeWorker, c.MaxWorkerID)
	}
	ctx = withOpCount(ctx, &b.acquireOps)
	if err := b.ensureTree(ctx); err != nil {
		return nil, err
	}
	if err := b.lockClaims(ctx); err != nil {
		return nil, err
	}
	defer b.unlockClaims()
	var l *lease
	var err error
	if b.cfg.Mode == ModeEphemeral {
		l, err = b.acquireEphemeral(ctx, c)
	} else {
		l, err = b.acquireSequential(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}
