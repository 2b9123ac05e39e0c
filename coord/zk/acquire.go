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
func (b *Backend) Acquire(ctx context.Context, c coord.Claim) (coord.Lease, error) {
	if err := checkName("node name", c.Node); err != nil {
		return nil, err
	}
	if c.MaxWorkerID < 1 {
		return nil, fmt.Errorf("%w: the largest WorkerId is %d, which leaves none but the reserved 0", coord.ErrNoFreeWorker, c.MaxWorkerID)
	}
	if err := b.ensureTree(ctx); err != nil {
		return nil, err
	}
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
