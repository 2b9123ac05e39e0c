package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// ForeverNode is one identity's WorkerID in the Leaf-compatible forever
// tree /snowflake/<leaf.name>/forever, for operator tools.
type ForeverNode struct {
	// Path is the znode's full path.
	Path string
	// Identity is the ip:port the WorkerID is bound to.
	Identity string
	// WorkerID is the znode's sequence number.
	WorkerID int64
	// Timestamp is the znode's timestamp field: W as idcoord last wrote it
	// (up to a few seconds ahead), or Leaf's last clock report. Zero when
	// the data cannot be decoded.
	Timestamp time.Time
	// Modified is the server's time of the znode's last write (its mtime):
	// when its owner, idcoord or Leaf, was last heard from. Select stale
	// znodes by it.
	Modified time.Time
	// Live is true while some ZooKeeper session holds workers/<WorkerID>,
	// that is, while an idcoord process holds the WorkerID. A Leaf process
	// creates no such znode; for Leaf only Modified tells.
	Live bool
	// Holder is the node name recorded in workers/<WorkerID> when Live.
	Holder string
}

// ListForever lists the forever tree's identities, markers left out,
// sorted by WorkerID. Errors wrap coord.ErrUnreachable or ctx's error.
func (b *Backend) ListForever(ctx context.Context) ([]ForeverNode, error) {
	names, err := b.children(ctx, b.p.forever)
	if err != nil || names == nil {
		return nil, err
	}
	held, err := b.heldWorkers(ctx)
	if err != nil && !errors.Is(err, gozk.ErrNoNode) {
		return nil, err
	}
	zs, err := b.getAll(ctx, b.p.forever, names)
	if err != nil {
		return nil, b.opErr("reading "+b.p.forever, err)
	}
	var nodes []ForeverNode
	var live []string
	for i, name := range names {
		id, seq, ok := parseForeverName(name)
		if !ok || id == markerIdentity || zs[i].data == nil {
			continue
		}
		n := ForeverNode{
			Path:     b.p.forever + "/" + name,
			Identity: id,
			WorkerID: seq,
			Modified: time.UnixMilli(zs[i].stat.Mtime),
			Live:     held[seq],
		}
		if ep, err := decodeEndpoint(n.Path, zs[i].data); err == nil {
			n.Timestamp = time.UnixMilli(ep.Timestamp)
		} else {
			b.log.Warn("forever znode with bad data", zap.Error(err))
		}
		if n.Live {
			live = append(live, fmt.Sprint(seq))
		}
		nodes = append(nodes, n)
	}
	if len(live) > 0 {
		hs, err := b.getAll(ctx, b.p.workers, live)
		if err != nil {
			return nil, b.opErr("reading "+b.p.workers, err)
		}
		holders := make(map[string]string, len(live))
		for i, z := range hs {
			if h, err := decodeJSON[holder](b.p.workers+"/"+live[i], z.data); z.data != nil && err == nil {
				holders[live[i]] = h.Node
			}
		}
		for i := range nodes {
			nodes[i].Holder = holders[fmt.Sprint(nodes[i].WorkerID)]
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].WorkerID < nodes[j].WorkerID })
	return nodes, nil
}

// DeleteForever deletes one identity's forever znode, given its full path as
// ListForever reports it, unless its WorkerID is live. The WorkerID is not
// freed by this, since ZooKeeper never reuses a sequence number; the
// identity gets a new one the next time it starts. Deleting a znode that is
// gone already succeeds. Errors wrap ErrNotForever, coord.ErrNodeLive,
// coord.ErrUnreachable or ctx's error.
func (b *Backend) DeleteForever(ctx context.Context, p string) error {
	dir, name := path.Split(p)
	id, seq, ok := parseForeverName(name)
	if path.Clean(dir) != b.p.forever || !ok || id == markerIdentity {
		return fmt.Errorf("%w: %q is not <ip:port>-<sequence> under %s", ErrNotForever, p, b.p.forever)
	}
	st, err := b.stat(ctx, p)
	if err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	held, err := b.stat(ctx, b.p.worker(seq))
	if err != nil {
		return err
	}
	if held != nil && held.EphemeralOwner != 0 {
		return fmt.Errorf("%w: WorkerId %d of identity %s is held by ZooKeeper session %s; not deleting %s",
			coord.ErrNodeLive, seq, id, sessionHex(held.EphemeralOwner), p)
	}
	// The version read above: a claim rewrites the znode, so a process that
	// claims it meanwhile makes this delete fail.
	_, err = doLeader(ctx, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.Delete(p, st.Version) })
	switch {
	case err == nil, errors.Is(err, gozk.ErrNoNode):
		b.log.Info("deleted a forever znode", zap.String("path", p), zap.Int64("worker-id", seq))
		return nil
	case errors.Is(err, gozk.ErrBadVersion):
		return fmt.Errorf("%w: %s was written while it was being deleted (its owner may be live); not deleted", coord.ErrNodeLive, p)
	default:
		return b.opErr("deleting "+p, err)
	}
}
