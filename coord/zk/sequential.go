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
		cl, failed, err := b.commitClaim(ctx, c, seq, fpath, encode(endpoint{IP: host, Port: port, Timestamp: stored.Timestamp}), g.stat.Version)
		switch {
		case err == nil:
			return b.newLease(c, seq, cl, fpath, ep, stored.Timestamp)
		case failed == opPeer:
			if err := b.nodeLive(ctx, c); err != nil {
				return nil, err
			}
		case failed == opWorker:
			owner, err := b.blocker(ctx, b.p.worker(seq))
			if err != nil {
				return nil, err
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
func (b *Backend) foreverNode(ctx context.Context, c coord.Claim, identity string, ep *endpoint) (string, int64, error) {
	type listing struct {
		names []string
		stat  *gozk.Stat
	}
	list := func() (listing, error) {
		return do(ctx, b, func(c *gozk.Conn) (listing, error) {
			names, stat, err := c.Children(b.p.forever)
			return listing{names, stat}, err
		})
	}
	l, err := list()
	if errors.Is(err, gozk.ErrNoNode) {
		if err := b.createForever(ctx); err != nil {
			return "", 0, err
		}
		l, err = list()
	}
	if err != nil {
		return "", 0, b.opErr("listing "+b.p.forever, err)
	}
	var mine []int64
	marked := false
	for _, name := range l.names {
		id, seq, ok := parseForeverName(name)
		switch {
		case !ok:
			b.log.Debug("ignoring a forever child that is not <ip:port>-<sequence>", zap.String("name", name))
		case id == markerIdentity:
			marked = marked || seq == 0
		case id == identity:
			mine = append(mine, seq)
		}
	}
	if len(mine) == 0 {
		return b.registerIdentity(ctx, c, identity, ep, int64(l.stat.Cversion))
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
		if _, err := do(ctx, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.Delete(p, -1) }); err != nil && !errors.Is(err, gozk.ErrNoNode) {
			return "", 0, b.opErr(fmt.Sprintf("deleting %s, which got the unusable sequence number %d", p, seq), err)
		}
		next = seq + 1
	}
	return "", 0, fmt.Errorf("zkcoord: registering identity %s in %s: gave up after racing registrations %d times", identity, b.p.forever, maxClaimTries)
}

// createSequential creates forever/<identity>-<seq> and returns its path
// and sequence number.
func (b *Backend) createSequential(ctx context.Context, identity string, data []byte) (string, int64, error) {
	p, err := do(ctx, b, func(c *gozk.Conn) (string, error) {
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
	res, err := do(ctx, b, func(c *gozk.Conn) ([]gozk.MultiResponse, error) {
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
