package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"sort"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Peers lists the live nodes of the cluster, this one included: the
// ephemeral znodes under leaf_temporary/, sorted by node name. A record that
// cannot be decoded is logged and left out.
func (b *Backend) Peers(ctx context.Context) ([]coord.Peer, error) {
	names, zs, err := b.readDir(ctx, b.p.peers)
	if err != nil || names == nil {
		return nil, err
	}
	peers := b.decodePeers(names, zs)
	sort.Slice(peers, func(i, j int) bool { return peers[i].Node < peers[j].Node })
	return peers, nil
}

// decodePeers decodes the peer records zs read for the node names; a record
// gone since the listing is left out, and a bad one is logged and left out.
func (b *Backend) decodePeers(names []string, zs []znode) []coord.Peer {
	peers := make([]coord.Peer, 0, len(names))
	for i, z := range zs {
		if z.data == nil {
			continue // gone since the listing
		}
		p, err := decodeJSON[coord.Peer](b.p.peer(names[i]), z.data)
		if err != nil {
			b.log.Warn("skipping a bad peer record", zap.Error(err))
			continue
		}
		peers = append(peers, p)
	}
	return peers
}

// znode is one znode's data and stat; nil data means it does not exist.
type znode struct {
	data []byte
	stat *gozk.Stat
}

// getAll reads dir/<name> for every name, with all requests in flight at
// once. A znode that is gone reads with nil data.
func (b *Backend) getAll(ctx context.Context, dir string, names []string) ([]znode, error) {
	if len(names) == 0 {
		return nil, nil
	}
	// One call below sends len(names) requests; do counts one.
	b.ops.Add(int64(len(names) - 1))
	countOps(ctx, len(names)-1)
	return do(ctx, b, func(c *gozk.Conn) ([]znode, error) {
		type got struct {
			z   znode
			err error
		}
		chs := make([]chan got, len(names))
		for i, n := range names {
			chs[i] = make(chan got, 1)
			go func() {
				data, stat, err := c.Get(dir + "/" + n)
				chs[i] <- got{znode{data, stat}, err}
			}()
		}
		out := make([]znode, len(names))
		var first error
		for i, ch := range chs {
			g := <-ch
			switch {
			case g.err == nil:
				out[i] = g.z
				if out[i].data == nil {
					out[i].data = []byte{}
				}
			case errors.Is(g.err, gozk.ErrNoNode):
			case first == nil:
				first = g.err
			}
		}
		return out, first
	})
}

// LastReport reads leaf_forever/<node>; false when the node never reported.
// A record that cannot be decoded is an error wrapping coord.ErrBadRecord.
func (b *Backend) LastReport(ctx context.Context, node string) (coord.Report, bool, error) {
	if err := checkName("node name", node); err != nil {
		return coord.Report{}, false, err
	}
	p := b.p.report(node)
	data, ok, err := b.readData(ctx, p, "reading "+p)
	if !ok || err != nil {
		return coord.Report{}, false, err
	}
	r, err := decodeJSON[coord.Report](p, data)
	return r, err == nil, err
}

// putReport writes leaf_forever/<node>, creating it the first time.
func (b *Backend) putReport(ctx context.Context, node string, r coord.Report) error {
	p, data := b.p.report(node), encode(r)
	for range 2 {
		_, err := doLeader(ctx, b, func(c *gozk.Conn) (*gozk.Stat, error) { return c.Set(p, data, -1) })
		if !errors.Is(err, gozk.ErrNoNode) {
			if err != nil {
				return b.opErr("writing "+p, err)
			}
			return nil
		}
		_, err = doLeader(ctx, b, func(c *gozk.Conn) (string, error) { return c.Create(p, data, gozk.FlagPersistent, b.cfg.ACL) })
		if !errors.Is(err, gozk.ErrNodeExists) {
			if err != nil {
				return b.opErr("creating "+p, err)
			}
			return nil
		}
	}
	return fmt.Errorf("zkcoord: writing %s: it kept vanishing and reappearing", p)
}
