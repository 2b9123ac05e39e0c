package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"slices"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// acquireSequential claims the WorkerID bound to the process's identity in
// the forever tree, registering the identity first if it has none.
func (b *Backend) acquireSequential(ctx context.Context, c coord.Claim) (*lease, error) {
	identity, ep, err := b.identity(c)
	if err != nil {
		return nil, err
	}
	host, port := ep.IP, ep.Port
	type got struct {
		data []byte
		stat *gozk.Stat
	}
	var move *gozk.Stat // this node's peer record, held by a live lease of this Backend
	for range maxClaimTries {
		fpath, seq, err := b.foreverNode(ctx, c, identity, ep)
		if err != nil {
			return nil, err
		}
		g, err := do(ctx, b, func(c *gozk.Conn) (got, error) {
			data, stat, err := c.Get(fpath)
			return got{data, stat}, err
		})
		if errors.Is(err, gozk.ErrNoNode) {
			continue // removed since it was listed: register again
		}
		if err != nil {
			return nil, b.opErr("reading "+fpath, err)
		}
		stored, err := decodeEndpoint(fpath, g.data)
		if err != nil {
			return nil, err
		}
		if stored.IP != host || stored.Port != port {
			b.log.Warn("forever znode names another ip or port than its path; rewriting them",
				zap.String("path", fpath), zap.String("ip", stored.IP), zap.String("port", stored.Port))
		}
		cl, failed, err := b.commitClaim(ctx, c, seq, fpath, encode(endpoint{IP: host, Port: port, Timestamp: stored.Timestamp}), g.stat.Version, move)
		switch {
		case err == nil:
			return b.newLease(c, seq, cl, fpath, ep, stored.Timestamp)
		case failed == opPeer:
			if move, err = b.nodeLive(ctx, c); err != nil {
				return nil, err
			}
		case failed == opWorker:
			owner, err := b.blocker(ctx, b.p.worker(seq))
			if err != nil {
				return nil, err
			}
			if owner != 0 && owner == b.currentSession().id {
				// A node that asks for a fresh WorkerId while it holds this
				// one (after a large backward clock step) finds none.
				return nil, fmt.Errorf("%w: identity %s has one WorkerId, %d, and this process holds it already; sequential mode binds a WorkerId to an identity for good, so there is no other to take",
					coord.ErrNoFreeWorker, identity, seq)
			}
			if owner != 0 {
				return nil, fmt.Errorf("%w: identity %s (WorkerId %d) is held by ZooKeeper session %s: another process uses the same ip:port",
					coord.ErrNodeLive, identity, seq, sessionHex(owner))
			}
		case failed == opW:
			// W moved after it was read (a racing writer) or the znode went:
			// look again.
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("zkcoord: claiming the WorkerId of identity %s: gave up after %d tries because its forever znode kept changing (is a Leaf process with the same ip:port still running?)",
		identity, maxClaimTries)
}

// identity names the process in the forever tree: Config.Identity, split
// into Leaf's ip and port, or else the claim's node name (ip = the name,
// port empty).
func (b *Backend) identity(c coord.Claim) (string, *endpoint, error) {
	if b.cfg.Identity != "" {
		host, port, err := splitIdentity(b.cfg.Identity)
		return b.cfg.Identity, &endpoint{IP: host, Port: port}, err
	}
	if c.Node == markerIdentity {
		return "", nil, fmt.Errorf("%w: node name %q is the forever tree's marker", ErrBadName, c.Node)
	}
	return c.Node, &endpoint{IP: c.Node}, nil
}

// foreverNode finds the forever znode of identity, or registers one. It
// returns the znode's path and its sequence number, the WorkerID.
//
// Two processes started at once with one identity can both find none and
// both register: the identity then has two forever znodes, and the two
// processes two WorkerIds. So after registering it lists the tree again:
// when the identity has a lower one, another registration came first, and
// this one deletes its own znode and takes the lowest, as every later start
// of the identity would. The lowest is never the one deleted, so exactly one
// registration survives, and the process that loses the claim of it is
// refused (coord.ErrNodeLive) with nothing of its own left in the tree. The
// delete is at version 0: a znode that any claim rewrote is never deleted.
func (b *Backend) foreverNode(ctx context.Context, c coord.Claim, identity string, ep *endpoint) (string, int64, error) {
	l, err := b.listForever(ctx)
	if err != nil {
		return "", 0, err
	}
	mine, marked := l.of(identity)
	if len(mine) == 0 {
		p, created, err := b.registerIdentity(ctx, c, identity, ep, int64(l.stat.Cversion))
		if err != nil {
			return "", 0, err
		}
		if l, err = b.listForever(ctx); err != nil {
			return "", 0, err
		}
		if mine, marked = l.of(identity); len(mine) == 0 || slices.Min(mine) >= created {
			return p, created, nil
		}
		lowest := slices.Min(mine)
		b.log.Warn("another process registered the same identity at the same time; giving this registration up for the earlier one",
			zap.String("identity", identity), zap.Int64("given-up", created), zap.Int64("worker-id", lowest))
		_, err = doLeader(ctx, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.Delete(p, 0) })
		if err != nil && !errors.Is(err, gozk.ErrNoNode) && !errors.Is(err, gozk.ErrBadVersion) {
			return "", 0, b.opErr(fmt.Sprintf("deleting %s, registered twice", p), err)
		}
		mine = slices.DeleteFunc(mine, func(seq int64) bool { return seq == created })
	}
	slices.Sort(mine)
	seq := mine[0]
	if len(mine) > 1 {
		b.log.Warn("several forever znodes for one identity; using the lowest", zap.String("identity", identity), zap.Int64s("sequences", mine))
	}
	switch {
	case seq > c.MaxWorkerID:
		return "", 0, fmt.Errorf("%w: identity %s holds WorkerId %d in %s, but the layout's largest WorkerId is %d",
			coord.ErrNoFreeWorker, identity, seq, b.p.forever, c.MaxWorkerID)
	case seq == 0 || slices.Contains(c.Reserved, seq):
		b.log.Warn("keeping a reserved WorkerId that the forever tree bound to this identity (Leaf compatibility)",
			zap.String("identity", identity), zap.Int64("worker-id", seq), zap.Bool("idcoord-tree", marked),
			zap.Int64s("reserved", c.Reserved))
	}
	return b.p.foreverPrefix(identity) + fmt.Sprintf("%0*d", seqDigits, seq), seq, nil
}

// foreverListing is the forever tree's children and its stat.
type foreverListing struct {
	names []string
	stat  *gozk.Stat
}

// listForever lists the forever tree, creating it the first time.
func (b *Backend) listForever(ctx context.Context) (foreverListing, error) {
	list := func() (foreverListing, error) {
		return do(ctx, b, func(c *gozk.Conn) (foreverListing, error) {
			names, stat, err := c.Children(b.p.forever)
			return foreverListing{names, stat}, err
		})
	}
	l, err := list()
	if errors.Is(err, gozk.ErrNoNode) {
		if err := b.createForever(ctx); err != nil {
			return foreverListing{}, err
		}
		l, err = list()
	}
	if err != nil {
		return foreverListing{}, b.opErr("listing "+b.p.forever, err)
	}
	return l, nil
}

// of returns the sequence numbers of identity's forever znodes, and whether
// the marker of sequence 0 is there.
func (l foreverListing) of(identity string) (mine []int64, marked bool) {
	for _, name := range l.names {
		id, seq, ok := parseForeverName(name)
		switch {
		case !ok: // not <ip:port>-<sequence>: not Leaf's, not idcoord's
		case id == markerIdentity:
			marked = marked || seq == 0
		case id == identity:
			mine = append(mine, seq)
		}
	}
	return mine, marked
}

// registerIdentity creates the persistent-sequential forever znode of
// identity, with W = 0. next is the sequence number the server hands out
// next (the parent's cversion); reserved numbers are consumed by markers
// first, so that no identity gets them.
func (b *Backend) registerIdentity(ctx context.Context, c coord.Claim, identity string, ep *endpoint, next int64) (string, int64, error) {
	for range maxClaimTries + len(c.Reserved) {
		if next > c.MaxWorkerID {
			return "", 0, b.exhausted(identity, next, c)
		}
		if next == 0 || slices.Contains(c.Reserved, next) {
			_, seq, err := b.createSequential(ctx, markerIdentity, encode(endpoint{IP: markerIdentity, Port: "0"}))
			if err != nil {
				return "", 0, err
			}
			b.log.Info("consumed a reserved WorkerId with a marker znode", zap.Int64("worker-id", seq))
			next = seq + 1
			continue
		}
		p, seq, err := b.createSequential(ctx, identity, encode(endpoint{IP: ep.IP, Port: ep.Port}))
		if err != nil {
			return "", 0, err
		}
		if seq >= 1 && seq <= c.MaxWorkerID && !slices.Contains(c.Reserved, seq) {
			b.log.Info("registered a new identity in the forever tree", zap.String("identity", identity),
				zap.Int64("worker-id", seq), zap.String("path", p))
			return p, seq, nil
		}
		// A racing registration moved the sequence past the check: give this
		// number up (it is never handed out again) and go on.
		if _, err := doLeader(ctx, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.Delete(p, -1) }); err != nil && !errors.Is(err, gozk.ErrNoNode) {
			return "", 0, b.opErr(fmt.Sprintf("deleting %s, which got the unusable sequence number %d", p, seq), err)
		}
		next = seq + 1
	}
	return "", 0, fmt.Errorf("zkcoord: registering identity %s in %s: gave up after racing registrations %d times", identity, b.p.forever, maxClaimTries)
}

// createSequential creates forever/<identity>-<seq> and returns its path
// and sequence number.
func (b *Backend) createSequential(ctx context.Context, identity string, data []byte) (string, int64, error) {
	p, err := doLeader(ctx, b, func(c *gozk.Conn) (string, error) {
		return c.Create(b.p.foreverPrefix(identity), data, gozk.FlagSequence, b.cfg.ACL)
	})
	if err != nil {
		return "", 0, b.opErr("registering "+identity+" in "+b.p.forever, err)
	}
	_, seq, ok := parseForeverName(base(p))
	if !ok {
		return "", 0, fmt.Errorf("zkcoord: the server named a sequential znode %q, which has no sequence number", p)
	}
	return p, seq, nil
}

// createForever creates the forever tree, its parent and, in the same
// multi, the marker that consumes sequence number 0, so that WorkerID 0 is
// never handed out.
func (b *Backend) createForever(ctx context.Context) error {
	for _, p := range []string{"/snowflake", b.p.leaf} {
		if err := b.ensurePath(ctx, p); err != nil {
			return err
		}
	}
	res, err := doLeader(ctx, b, func(c *gozk.Conn) ([]gozk.MultiResponse, error) {
		return c.Multi(
			&gozk.CreateRequest{Path: b.p.forever, Flags: gozk.FlagPersistent, Acl: b.cfg.ACL},
			&gozk.CreateRequest{Path: b.p.foreverPrefix(markerIdentity), Flags: gozk.FlagSequence, Acl: b.cfg.ACL,
				Data: encode(endpoint{IP: markerIdentity, Port: "0"})},
		)
	})
	switch {
	case err == nil:
		b.log.Info("created the forever tree; sequence 0 is consumed by a marker", zap.String("path", b.p.forever))
		return nil
	case multiFailure(res, err) == 0 && errors.Is(res[0].Error, gozk.ErrNodeExists):
		return nil // created by someone else meanwhile
	default:
		return b.opErr("creating "+b.p.forever, err)
	}
}

// exhausted is the error for an identity that cannot get a WorkerID.
func (b *Backend) exhausted(identity string, next int64, c coord.Claim) error {
	return fmt.Errorf("%w: cannot register identity %s in %s: the next sequence number would be %d, past the largest WorkerId %d. "+
		"ZooKeeper never reuses sequence numbers, so each new identity (ip:port, or node name) uses one up for good, and deleting forever znodes does not give them back. "+
		"Give nodes stable identities (such as StatefulSet pods with stable names and addresses), or set zk.mode: ephemeral, which recycles WorkerIds",
		coord.ErrNoFreeWorker, identity, b.p.forever, next, c.MaxWorkerID)
}
