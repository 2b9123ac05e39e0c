package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// acquireEphemeral claims a free WorkerID as coord.Search picks it: the
// sticky one from leaf_forever/<node>, the StatefulSet ordinal, then a probe
// from a hash of the node name. After three taken candidates it lists the
// held WorkerIDs once and tries only free ones.
func (b *Backend) acquireEphemeral(ctx context.Context, c coord.Claim) (*lease, error) {
	sticky, err := coord.LastWorkerID(ctx, b, c)
	if err != nil {
		return nil, err
	}
	return coord.Search(ctx, b.cfg.Cluster, c, sticky, nil, b.heldWorkers,
		func(ctx context.Context, wid int64) (*lease, bool, map[int64]bool, error) {
			l, err := b.tryEphemeral(ctx, c, wid)
			return l, l != nil, nil, err
		})
}

// tryEphemeral claims wid, or returns nil when another session holds it.
// A W that cannot be read, or a workers/<wid> that is not ephemeral, is an
// error wrapping coord.ErrBadRecord, after a warning and a count (see
// skip): coord.Search then goes on with the next candidate.
func (b *Backend) tryEphemeral(ctx context.Context, c coord.Claim, wid int64) (*lease, error) {
	hwPath := b.p.highWater(wid)
	var move *gozk.Stat // this node's peer record, held by a live lease of this Backend
	for range maxClaimTries {
		hw, ver, err := b.readHighWater(ctx, wid)
		if errors.Is(err, coord.ErrBadRecord) {
			return nil, b.skip(hwPath, wid, err)
		}
		if err != nil {
			return nil, err
		}
		cl, failed, err := b.commitClaim(ctx, c, wid, hwPath, encode(highWater{UnixMS: hw.UnixMS, Holder: c.Node}), ver, move)
		switch {
		case err == nil:
			return b.newLease(c, wid, cl, hwPath, nil, hw.UnixMS)
		case failed == opPeer:
			if move, err = b.nodeLive(ctx, c); err != nil {
				return nil, err
			}
		case failed == opWorker:
			owner, err := b.blocker(ctx, b.p.worker(wid))
			if errors.Is(err, errNotEphemeral) {
				return nil, b.skip(b.p.worker(wid), wid, coord.StuckHolderError(b.p.worker(wid), wid,
					"is not ephemeral, so no session end will remove it (idcoord did not write it)"))
			}
			if err != nil {
				return nil, err
			}
			if owner != 0 {
				return nil, nil
			}
		case failed == opW:
			// Someone wrote W after it was read (an old holder's last write):
			// read it again.
		default:
			return nil, err
		}
	}
	b.log.Warn("WorkerId kept changing while it was claimed; trying the next one", zap.Int64("worker-id", wid))
	return nil, nil
}

// readHighWater reads hw/<wid> and its version, creating it (W = 0) the
// first time the WorkerID is used.
func (b *Backend) readHighWater(ctx context.Context, wid int64) (highWater, int32, error) {
	p := b.p.highWater(wid)
	type got struct {
		data []byte
		stat *gozk.Stat
	}
	for range 2 {
		g, err := do(ctx, b, func(c *gozk.Conn) (got, error) {
			data, stat, err := c.Get(p)
			return got{data, stat}, err
		})
		if errors.Is(err, gozk.ErrNoNode) {
			_, err = doLeader(ctx, b, func(c *gozk.Conn) (string, error) {
				return c.Create(p, encode(highWater{}), gozk.FlagPersistent, b.cfg.ACL)
			})
			if err != nil && !errors.Is(err, gozk.ErrNodeExists) {
				return highWater{}, 0, b.opErr("creating "+p, err)
			}
			continue
		}
		if err != nil {
			return highWater{}, 0, b.opErr("reading "+p, err)
		}
		hw, err := decodeHighWater(p, g.data)
		return hw, g.stat.Version, err
	}
	return highWater{}, 0, fmt.Errorf("%w: %s vanished right after it was created", coord.ErrUnreachable, p)
}

// heldWorkers lists the WorkerIDs under workers/.
func (b *Backend) heldWorkers(ctx context.Context) (map[int64]bool, error) {
	names, err := do(ctx, b, func(c *gozk.Conn) ([]string, error) {
		names, _, err := c.Children(b.p.workers)
		return names, err
	})
	if err != nil {
		return nil, b.opErr("listing "+b.p.workers, err)
	}
	held := make(map[int64]bool, len(names))
	for _, n := range names {
		if wid, err := strconv.ParseInt(n, 10, 64); err == nil {
			held[wid] = true
		}
	}
	return held, nil
}
