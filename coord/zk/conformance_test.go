package zkcoord

import (
	"strings"
	"testing"

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
			})
		})
	}
}
