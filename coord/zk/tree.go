package zkcoord

import (
	"context"
	"errors"

	gozk "github.com/go-zookeeper/zk"
)

// ensureTree creates /idcoord/<cluster> and its four directories, the first
// time it succeeds.
func (b *Backend) ensureTree(ctx context.Context) error {
	b.mu.Lock()
	done := b.mu.tree
	b.mu.Unlock()
	if done {
		return nil
	}
	for _, p := range []string{"/idcoord", b.p.root, b.p.workers, b.p.hw, b.p.reports, b.p.peers} {
		if err := b.ensurePath(ctx, p); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.mu.tree = true
	b.mu.Unlock()
	return nil
}

// ensurePath creates one persistent, empty znode unless it exists.
func (b *Backend) ensurePath(ctx context.Context, path string) error {
	_, err := doLeader(ctx, b, func(c *gozk.Conn) (string, error) { return c.Create(path, nil, gozk.FlagPersistent, b.cfg.ACL) })
	if err == nil || errors.Is(err, gozk.ErrNodeExists) {
		return nil
	}
	return b.opErr("creating "+path, err)
}
