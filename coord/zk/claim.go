package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// maxClaimTries bounds the retries of one claim when the tree moves under it
// (a racing writer, a znode left by an earlier attempt of this session).
const maxClaimTries = 8

// The operations of a claim's multi, by index.
const (
	opPeer   = 0 // create leaf_temporary/<node>, ephemeral
	opWorker = 1 // create workers/<wid>, ephemeral
	opW      = 2 // rewrite W at the version read
)

// claim is a successful claim: the session that owns its znodes and the
// version of the W znode after the claim's write.
type claim struct {
	sid     int64
	version int32
}

// errStaleMove: a claim was to move a peer record that a session owned,
// and the client has another session now.
var errStaleMove = errors.New("zkcoord: the session that owned the peer record ended")

// commitClaim claims wid for c in one multi: it creates leaf_temporary/<node>
// and workers/<wid>, both ephemeral, and rewrites W at version ver of hwPath,
// so that a previous holder's next compare-and-swap of W fails. It returns
// the index of the operation that failed, or -1. When ctx ends while the
// multi is in flight, a successful claim is undone in the background.
//
// With move set, leaf_temporary/<node> is a live lease's of this session
// (the node takes a fresh WorkerID before it gives its old one back): the
// multi rewrites it, at the version move has, to name wid instead of
// creating it, as etcd moves the record to the new lease. The version
// guards against an earlier claim or release of this Backend, which the
// claim lock keeps out anyway; the session is checked just before the multi
// is sent, since a znode of another session could have the same version
// once this session has ended. The caller holds the claim lock.
func (b *Backend) commitClaim(ctx context.Context, c coord.Claim, wid int64, hwPath string, data []byte, ver int32, move *gozk.Stat) (claim, int, error) {
	peer := peerRecord(c, wid)
	var peerOp any = &gozk.CreateRequest{Path: b.p.peer(c.Node), Data: peer, Flags: gozk.FlagEphemeral, Acl: b.cfg.ACL}
	if move != nil {
		peerOp = &gozk.SetDataRequest{Path: b.p.peer(c.Node), Data: peer, Version: move.Version}
	}
	ops := []any{
		peerOp,
		&gozk.CreateRequest{Path: b.p.worker(wid), Flags: gozk.FlagEphemeral, Acl: b.cfg.ACL,
			Data: encode(holder{Node: c.Node, Admin: c.Admin, Since: time.Now().UTC()})},
		&gozk.SetDataRequest{Path: hwPath, Data: data, Version: ver},
	}
	type result struct {
		res         []gozk.MultiResponse
		err         error
		before, now int64 // the session id around the multi
	}
	ch := make(chan result, 1)
	countOps(ctx, 1)
	if !b.spawn(func() {
		r, _ := callLeader(b, func(conn *gozk.Conn) (result, error) {
			r := result{before: conn.SessionID()}
			if move != nil && r.before != move.EphemeralOwner {
				r.now, r.err = r.before, errStaleMove
				return r, r.err
			}
			r.res, r.err = conn.Multi(ops...)
			r.now = conn.SessionID()
			return r, r.err
		})
		ch <- r
	}) {
		return claim{}, -1, fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed)
	}
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		b.spawn(func() {
			if r := <-ch; r.err == nil && r.before == r.now {
				b.undoAbandoned(c, wid, r.now)
			}
		})
		return claim{}, -1, fmt.Errorf("zkcoord: claiming WorkerId %d: %w", wid, ctx.Err())
	}
	if errors.Is(r.err, errStaleMove) {
		return claim{}, -1, fmt.Errorf("%w: the ZooKeeper session changed while WorkerId %d was claimed", coord.ErrUnreachable, wid)
	}
	if r.err != nil {
		if i := multiFailure(r.res, r.err); i >= 0 {
			return claim{}, i, r.res[i].Error
		}
		return claim{}, -1, b.opErr(fmt.Sprintf("claiming WorkerId %d", wid), r.err)
	}
	if r.before != r.now || r.now == 0 {
		uctx, cancel := context.WithTimeout(context.Background(), b.cfg.SessionTimeout)
		defer cancel()
		b.undoClaimLocked(uctx, c, wid, r.now)
		return claim{}, -1, fmt.Errorf("%w: the ZooKeeper session changed while WorkerId %d was claimed", coord.ErrUnreachable, wid)
	}
	return claim{sid: r.now, version: r.res[opW].Stat.Version}, -1, nil
}

// peerRecord is the data of leaf_temporary/<node> for c holding wid.
func peerRecord(c coord.Claim, wid int64) []byte {
	return encode(coord.Peer{Node: c.Node, Admin: c.Admin, WorkerID: wid})
}

// undoAbandoned undoes a claim of session sid that succeeded after its
// caller had given up waiting, once the claim lock is free.
func (b *Backend) undoAbandoned(c coord.Claim, wid, sid int64) {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.SessionTimeout)
	defer cancel()
	if err := b.lockClaims(ctx); err != nil {
		b.log.Warn("could not undo an abandoned claim; the session's end removes it", zap.Int64("worker-id", wid), zap.Error(err))
		return
	}
	defer b.unlockClaims()
	b.undoClaimLocked(ctx, c, wid, sid)
}

// undoClaimLocked removes what a claim nobody will use made: workers/<wid>,
// unless a live lease of this Backend holds it now, and the claim's peer
// record, which goes back to naming the live lease it was moved from, if
// any, and is deleted otherwise. The caller holds the claim lock.
func (b *Backend) undoClaimLocked(ctx context.Context, c coord.Claim, wid, sid int64) {
	if _, held := b.holds(b.p.worker(wid)); !held {
		if err := b.deleteOwned(ctx, b.p.worker(wid), sid); err != nil {
			b.log.Warn("could not undo an abandoned claim; the session's end removes it", zap.String("path", b.p.worker(wid)), zap.Error(err))
		}
	}
	p := b.p.peer(c.Node)
	var err error
	if h := b.peerHolder(c.Node); h != nil {
		err = b.rewriteOwned(ctx, p, sid, peerRecord(h.claim, h.wid))
	} else {
		err = b.deleteOwned(ctx, p, sid)
	}
	if err != nil {
		b.log.Warn("could not undo an abandoned claim's peer record", zap.String("path", p), zap.Error(err))
	}
}

// blocker looks at the ephemeral znode that made a claim fail with
// NodeExists. It returns the owning session when the znode is live; 0 when
// it is gone or was left over by this session outside any lease (then it is
// deleted), so the claim can be tried again. A znode that is not ephemeral
// is an error wrapping coord.ErrNodeLive and errNotEphemeral.
func (b *Backend) blocker(ctx context.Context, p string) (int64, error) {
	st, err := b.stat(ctx, p)
	switch {
	case err != nil:
		return 0, err
	case st == nil:
		return 0, nil
	case st.EphemeralOwner == 0:
		return 0, fmt.Errorf("%w: %w: %s exists but is not ephemeral, so no session end will remove it; delete it by hand", coord.ErrNodeLive, errNotEphemeral, p)
	}
	sid := b.currentSession().id
	if st.EphemeralOwner != sid {
		return st.EphemeralOwner, nil
	}
	if _, ok := b.holds(p); ok {
		return sid, nil
	}
	b.log.Info("deleting a znode an earlier claim of this session left", zap.String("path", p))
	return 0, b.deleteOwned(ctx, p, sid)
}

// stat reads the stat of the znode at p; nil when there is none.
func (b *Backend) stat(ctx context.Context, p string) (*gozk.Stat, error) {
	st, err := do(ctx, b, func(c *gozk.Conn) (*gozk.Stat, error) {
		ok, st, err := c.Exists(p)
		if !ok {
			st = nil
		}
		return st, err
	})
	if err != nil {
		return nil, b.opErr("checking "+p, err)
	}
	return st, nil
}

// nodeLive looks at this node's peer znode after a claim failed because it
// exists. When a live lease of this Backend holds it, it returns the
// znode's stat: the claim moves the record to its new WorkerID. Otherwise
// it returns coord.ErrNodeLive naming the session that holds the node name,
// or nil when the znode is gone or was left over by this session (then it
// is deleted), so the claim is tried again, or the error of looking. The
// caller holds the claim lock.
func (b *Backend) nodeLive(ctx context.Context, c coord.Claim) (*gozk.Stat, error) {
	p := b.p.peer(c.Node)
	st, err := b.stat(ctx, p)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return nil, nil
	case st.EphemeralOwner == 0:
		return nil, fmt.Errorf("%w: %s exists but is not ephemeral, so no session end will remove it; delete it by hand", coord.ErrNodeLive, p)
	}
	s := b.currentSession()
	if st.EphemeralOwner != s.id {
		return nil, fmt.Errorf("%w: node %q is registered at %s by ZooKeeper session %s; if that process died, its session expires within the session timeout (%s here)",
			coord.ErrNodeLive, c.Node, p, sessionHex(st.EphemeralOwner), s.timeout)
	}
	if b.peerHolder(c.Node) != nil {
		return st, nil
	}
	b.log.Info("deleting a peer record an earlier claim of this session left", zap.String("path", p))
	return nil, b.deleteOwned(ctx, p, s.id)
}

// newLease registers the lease of a successful claim.
func (b *Backend) newLease(c coord.Claim, wid int64, cl claim, hwPath string, ep *endpoint, w int64) (*lease, error) {
	l := &lease{
		b: b, claim: c, wid: wid, sid: cl.sid,
		workerPath: b.p.worker(wid),
		peerPath:   b.p.peer(c.Node),
		hwPath:     hwPath,
		ep:         ep,
		highWater:  time.UnixMilli(w),
		log:        b.log.With(zap.Int64("worker-id", wid), zap.String("node", c.Node)),
		done:       make(chan struct{}),
	}
	l.mu.version, l.mu.w = cl.version, w
	if err := b.register(l); err != nil {
		return nil, err
	}
	if !b.spawn(l.watchClaim) {
		l.lose(fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed))
		return nil, l.Err()
	}
	l.log.Info("claimed WorkerId", zap.String("mode", string(b.cfg.Mode)), zap.String("w-znode", hwPath),
		zap.Time("high-water", l.highWater), zap.String("session", sessionHex(cl.sid)))
	return l, nil
}

// base is the last element of a znode path.
func base(p string) string { return path.Base(p) }
