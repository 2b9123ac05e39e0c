package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// acquireEphemeral claims a free WorkerID as coord.Search picks it: the
// sticky one from leaf_forever/<node>, the StatefulSet ordinal, then one
// drawn from the free ones of the listing of workers/.
//
// The requests are bounded whatever the occupancy: the node's last report
// and the listing of workers/ go out together (one round trip, two
// requests), then the chosen WorkerID's W is read (and created, the first
// time the WorkerID is used) and the claim's multi is sent. A claim lost to
// a racing node reads a fresh listing with it, so the next pick is free as
// far as the store knows. A preferred WorkerID (sticky or ordinal) that the
// listing shows held costs one look at its holder znode, so that a stuck or
// left-over one is reported or cleared where it is met; a sticky one held by
// another session one more, at the node's own peer record: while the name is
// live there (the node's crashed predecessor), the claim fails with
// coord.ErrNodeLive and is tried again, so the node gets its WorkerID back
// once that session ends instead of moving to another.
func (b *Backend) acquireEphemeral(ctx context.Context, c coord.Claim) (*lease, error) {
	sticky, held, err := b.stickyAndHeld(ctx, c)
	if err != nil {
		return nil, err
	}
	look := b.preferredHeld(c, sticky, held)
	return coord.Search(ctx, b.cfg.Cluster, c, sticky, held, b.heldWorkers,
		func(ctx context.Context, wid int64) (*lease, bool, map[int64]bool, error) {
			if look[wid] {
				owner, err := b.holderOf(ctx, wid)
				if err != nil {
					return nil, false, nil, err
				}
				if owner != 0 && wid == sticky {
					// Held still, perhaps by this node's own predecessor (a
					// crash, a session given up): while the node name is
					// live in another session, wait for that session to end
					// rather than move to another WorkerId.
					if _, err := b.nodeLive(ctx, c); err != nil {
						return nil, false, nil, err
					}
				}
				if owner != 0 {
					return nil, false, nil, nil
				}
			}
			l, fresh, err := b.tryEphemeral(ctx, c, wid)
			return l, l != nil, fresh, err
		})
}

// stickyAndHeld reads the node's last report (unless c.Sticky says it was
// read) and lists workers/, both requests in flight at once.
func (b *Backend) stickyAndHeld(ctx context.Context, c coord.Claim) (int64, map[int64]bool, error) {
	var sticky int64
	var stickyErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sticky, stickyErr = coord.LastWorkerID(ctx, b, c)
	}()
	held, err := b.heldWorkers(ctx)
	wg.Wait()
	if err == nil {
		err = stickyErr
	}
	return sticky, held, err
}

// preferredHeld takes the preferred WorkerIDs of c (sticky, then ordinal)
// that held lists out of held, and returns them: Search then offers them,
// and the claim looks at their holder first.
func (b *Backend) preferredHeld(c coord.Claim, sticky int64, held map[int64]bool) map[int64]bool {
	look := map[int64]bool{}
	tried := map[int64]bool{}
	for {
		wid, ok := coord.Pick(c, sticky, nil, tried) // no listing: the preferred ones only
		if !ok {
			return look
		}
		tried[wid] = true
		if held[wid] {
			look[wid] = true
			delete(held, wid)
		}
	}
}

// holderOf returns the session that holds workers/<wid>, or 0 when the
// znode is gone or was left over by this session outside any lease (then it
// is deleted). A znode that is not ephemeral is skipped: the error wraps
// coord.ErrBadRecord (see skip).
func (b *Backend) holderOf(ctx context.Context, wid int64) (int64, error) {
	owner, err := b.blocker(ctx, b.p.worker(wid))
	if errors.Is(err, errNotEphemeral) {
		return 0, b.skip(b.p.worker(wid), wid, coord.StuckHolderError(b.p.worker(wid), wid,
			"is not ephemeral, so no session end will remove it (idcoord did not write it)"))
	}
	return owner, err
}

// tryEphemeral claims wid, or returns a nil lease when another session
// holds it, with a fresh listing of workers/ read at the same time. A W that
// cannot be read, or a workers/<wid> that is not ephemeral, is an error
// wrapping coord.ErrBadRecord, after a warning and a count (see skip):
// coord.Search then goes on with the next candidate.
func (b *Backend) tryEphemeral(ctx context.Context, c coord.Claim, wid int64) (*lease, map[int64]bool, error) {
	hwPath := b.p.highWater(wid)
	var move *gozk.Stat // this node's peer record, held by a live lease of this Backend
	for range maxClaimTries {
		hw, ver, err := b.readHighWater(ctx, wid)
		if errors.Is(err, coord.ErrBadRecord) {
			return nil, nil, b.skip(hwPath, wid, err)
		}
		if err != nil {
			return nil, nil, err
		}
		cl, failed, err := b.commitClaim(ctx, c, wid, hwPath, encode(highWater{UnixMS: hw.UnixMS, Holder: c.Node}), ver, move)
		switch {
		case err == nil:
			l, err := b.newLease(c, wid, cl, hwPath, nil, hw.UnixMS)
			return l, nil, err
		case failed == opPeer:
			if move, err = b.nodeLive(ctx, c); err != nil {
				return nil, nil, err
			}
		case failed == opWorker:
			owner, fresh, err := b.lostTo(ctx, wid)
			if err != nil {
				return nil, nil, err
			}
			if owner != 0 {
				return nil, fresh, nil
			}
		case failed == opW:
			// Someone wrote W after it was read (an old holder's last write):
			// read it again.
		default:
			return nil, nil, err
		}
	}
	b.log.Warn("WorkerId kept changing while it was claimed; trying the next one", zap.Int64("worker-id", wid))
	return nil, nil, nil
}

// lostTo looks at the holder of workers/<wid> after a claim of it failed
// because it exists, and lists workers/ again, both requests in flight at
// once. It returns the holder's session (0: gone or cleared, claim again)
// and the listing, which is nil when the listing failed: the search then
// keeps the one it has.
func (b *Backend) lostTo(ctx context.Context, wid int64) (int64, map[int64]bool, error) {
	var fresh map[int64]bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		fresh, _ = b.heldWorkers(ctx) // a hint: without it the search goes on with the old listing
	}()
	owner, err := b.holderOf(ctx, wid)
	wg.Wait()
	if err != nil {
		return 0, nil, err
	}
	if owner != 0 {
		b.lostRaces.Add(1)
	}
	return owner, fresh, nil
}

// readHighWater reads hw/<wid> and its version, creating it (W = 0, version
// 0) the first time the WorkerID is used.
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
			if err == nil {
				// What was just created, at version 0: a claim's compare at
				// version 0 fails if anyone wrote it since.
				return highWater{}, 0, nil
			}
			if !errors.Is(err, gozk.ErrNodeExists) {
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
