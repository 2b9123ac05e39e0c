package idcoord

import (
	"time"

	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/snowflake"
)

// layoutRecord is l, with datacenter dc, as the store keeps a cluster's
// layout. Two layouts with one record put every ID's bits in the same
// places: IDs count the epoch and the tick in whole milliseconds. The
// datacenter ID is part of it: a cluster is one datacenter, and a node of
// another datacenter that joined it could take a WorkerID that its own
// datacenter's cluster has handed out, and repeat that holder's IDs.
func layoutRecord(l snowflake.Layout, dc int64) coord.LayoutRecord {
	return coord.LayoutRecord{
		TimeBits:       l.TimeBits,
		TimeUnitMS:     l.TimeUnit.Milliseconds(),
		WorkerBits:     l.WorkerBits,
		SequenceBits:   l.SequenceBits,
		EpochUnixMS:    l.Epoch.UnixMilli(),
		DatacenterBits: l.DatacenterBits,
		DatacenterID:   dc,
	}
}

// agreeLayout makes sure the cluster has this node's layout before the node
// claims a WorkerID: the first node of a cluster stores its layout, every
// later one must have the same. Two layouts in one cluster repeat IDs
// (WorkerID 4 under 12 sequence bits is WorkerID 1 under 14: 4<<12 ==
// 1<<14), so a node with another layout refuses to start, naming both. It
// retries an unreachable store with backoff until StartTimeout, as
// acquiring does.
func (n *Node) agreeLayout(ctx context.Context) error {
	mine := layoutRecord(n.layout, n.cfg.DatacenterID)
	return coord.RetryUnreachable(ctx, coord.Retry{
		Timeout: n.cfg.StartTimeout,
		Stop: func(err error) error {
			switch {
			case errors.Is(err, coord.ErrLayoutMismatch), errors.Is(err, coord.ErrBadRecord):
				return fmt.Errorf("refusing to start: %w", err)
			case !errors.Is(err, coord.ErrUnreachable):
				return fmt.Errorf("reading the cluster's layout: %w", err)
			}
			return nil
		},
		Waiting: func(err error, wait time.Duration) {
			n.log.Warn("cannot read the cluster's layout yet, retrying", zap.Error(err), zap.Duration("backoff", wait))
		},
	}, func(ctx context.Context) error {
		stored, err := n.cfg.Backend.Layout(ctx, mine)
		n.storeErrs.note(opLayout, err)
		if err == nil && stored != mine {
			// The backend must say so itself; refuse all the same.
			err = &coord.LayoutMismatchError{Stored: stored, Proposed: mine}
		}
		return err
	})
}
