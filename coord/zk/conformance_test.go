package zkcoord

import (
	"errors"
	"strings"
	"testing"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
)

// TestConformance runs the coord conformance suite in both modes. Each of
// its tests gets a cluster (and forever tree) of its own, named after the
// test, because sequential mode never gives a sequence number back.
func TestConformance(t *testing.T) {
	zk := startZK(t)
	cluster := func(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", ".") }
	for _, mode := range []Mode{ModeSequential, ModeEphemeral} {
		t.Run(string(mode), func(t *testing.T) {
			coordtest.Run(t, coordtest.Harness{
				New: func(t *testing.T) coord.Backend {
					return open(t, zk.Addr(), cluster(t), func(c *Config) { c.Mode = mode })
				},
				MaxWorkerID: 15,
				Recycles:    mode == ModeEphemeral,
				// An operator's revoke: delete the claim with a plain client.
				Steal: func(t *testing.T, l coord.Lease) {
					p := newPaths(cluster(t), cluster(t)).worker(l.WorkerID())
					if err := raw(t, zk.Addr()).Delete(p, -1); err != nil {
						t.Fatalf("delete %s: %v", p, err)
					}
				},
				// A plain client's write, creating the parents it needs.
				WriteRaw: func(t *testing.T, key string, value []byte) {
					writeRaw(t, raw(t, zk.Addr()), newPaths(cluster(t), cluster(t)).root+"/"+key, value)
				},
			})
		})
	}
}

// writeRaw sets the data of the znode at p to value, creating it and its
// parents (empty, persistent, open to all) when they are missing.
func writeRaw(t *testing.T, c *gozk.Conn, p string, value []byte) {
	t.Helper()
	for i := 1; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		if _, err := c.Create(p[:i], nil, gozk.FlagPersistent, gozk.WorldACL(gozk.PermAll)); err != nil && !errors.Is(err, gozk.ErrNodeExists) {
			t.Fatalf("create %s: %v", p[:i], err)
		}
	}
	_, err := c.Create(p, value, gozk.FlagPersistent, gozk.WorldACL(gozk.PermAll))
	if errors.Is(err, gozk.ErrNodeExists) {
		_, err = c.Set(p, value, -1)
	}
	if err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
}
