package zkcoord

import (
	"context"
	"errors"
	"slices"

	gozk "github.com/go-zookeeper/zk"
)

// ensureTree creates /idcoord/<cluster> and its four directories, the first
// time it succeeds in a session. It lists the cluster's znode first, so that
// on a cluster that has its tree (every node but the first) it costs one
// read, not six writes: a fleet that starts at once does not send the
// leader thousands of creates that fail.
func (b *Backend) ensureTree(ctx context.Context) error {
	b.mu.Lock()
	done := b.mu.tree
	b.mu.Unlock()
	if done {
		return nil
	}
	dirs := []string{workersDir, highWaterDir, reportsDir, peersDir}
	have, err := b.children(ctx, b.p.root)
	if err != nil {
		return err
	}
	if !containsAll(have, dirs) {
		for _, p := range []string{"/idcoord", b.p.root, b.p.workers, b.p.hw, b.p.reports, b.p.peers} {
			if err := b.ensurePath(ctx, p); err != nil {
				return err
			}
		}
	}
	b.mu.Lock()
	b.mu.tree = true
	b.mu.Unlock()
	return nil
}

// containsAll reports whether have holds every one of want.
func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// ensurePath creates one persistent, empty znode unless it exists.
func (b *Backend) ensurePath(ctx context.Context, path string) error {
	_, err := doLeader(ctx, b, func(c *gozk.Conn) (string, error) { return c.Create(path, nil, gozk.FlagPersistent, b.cfg.ACL) })
	if err == nil || errors.Is(err, gozk.ErrNodeExists) {
		return nil
	}
	return b.opErr("creating "+path, err)
}
