package zkcoord

import (
	"context"
	"errors"
	"fmt"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// layoutTries bounds Layout's create-or-read rounds: a round repeats only
// when the layout znode is deleted between a create that found it and the
// read, or when the cluster's root is missing.
const layoutTries = 3

// Layout stores proposed in /idcoord/<cluster>/layout unless the znode
// exists, and returns the stored layout: a persistent create, and on
// NodeExists a read. The create goes through the leader, which orders it
// before or after any other node's, so of two first nodes one stores its
// layout and the other reads it; the read comes after the create's answer
// on this session, so it sees the znode the create found. Nothing in this
// package rewrites the znode.
func (b *Backend) Layout(ctx context.Context, proposed coord.LayoutRecord) (coord.LayoutRecord, error) {
	path := b.layoutPath()
	data := proposed.Encode()
	for range layoutTries {
		_, err := do(ctx, b, func(c *gozk.Conn) (string, error) { return c.Create(path, data, gozk.FlagPersistent, b.cfg.ACL) })
		switch {
		case err == nil:
			b.log.Info("stored the cluster's layout", zap.Stringer("layout", proposed))
			return proposed, nil
		case errors.Is(err, gozk.ErrNoNode): // no /idcoord/<cluster> yet
			for _, p := range []string{"/idcoord", b.p.root} {
				if err := b.ensurePath(ctx, p); err != nil {
					return coord.LayoutRecord{}, err
				}
			}
			continue
		case !errors.Is(err, gozk.ErrNodeExists):
			return coord.LayoutRecord{}, b.opErr("storing the layout in "+path, err)
		}
		stored, ok, err := b.StoredLayout(ctx)
		if err != nil {
			return coord.LayoutRecord{}, err
		}
		if ok {
			return coord.AgreeLayout(b.cfg.Cluster, stored, proposed)
		}
	}
	return coord.LayoutRecord{}, fmt.Errorf("zkcoord: %s neither could be created nor read in %d tries", path, layoutTries)
}

// StoredLayout reads /idcoord/<cluster>/layout, writing nothing.
func (b *Backend) StoredLayout(ctx context.Context) (coord.LayoutRecord, bool, error) {
	path := b.layoutPath()
	data, ok, err := b.readData(ctx, path, "reading the layout in "+path)
	if !ok || err != nil {
		return coord.LayoutRecord{}, false, err
	}
	stored, err := coord.DecodeLayout(path, data)
	if err != nil {
		return coord.LayoutRecord{}, false, err
	}
	return stored, true, nil
}

// layoutPath is the znode of the cluster's layout.
func (b *Backend) layoutPath() string { return b.p.root + "/" + coord.LayoutKey }
