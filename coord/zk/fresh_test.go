package zkcoord

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestFreshWorkerSameNode asks for a second WorkerId for a node that still
// holds one, as a node does after a large backward clock step: it takes a
// fresh WorkerId first and gives the old one back after. In ephemeral mode
// the second claim succeeds with another WorkerId and moves the node's peer
// record to it; releasing the old lease leaves that record alone. In
// sequential mode an identity has one WorkerId only: the claim is refused
// with coord.ErrNoFreeWorker and the holder is unharmed.
func TestFreshWorkerSameNode(t *testing.T) {
	zk := startZK(t)
	for _, mode := range []Mode{ModeEphemeral, ModeSequential} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := testproc.Context(t)
			cluster := "fresh-" + string(mode)
			b := open(t, zk.Addr(), cluster, func(c *Config) { c.Mode = mode })
			first := mustAcquire(t, b, claimFor("n", 15))
			second, err := b.Acquire(ctx, claimFor("n", 15))
			if mode == ModeSequential {
				wantErr(t, err, coord.ErrNoFreeWorker)
				t.Logf("refusal: %v", err)
				if err := first.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
					t.Fatalf("the refused claim hurt the holder: %v", err)
				}
				wantPeer(t, b, "n", first.WorkerID())
				return
			}
			if err != nil {
				t.Fatalf("a second Acquire by the node that holds WorkerId %d: %v", first.WorkerID(), err)
			}
			if second.WorkerID() == first.WorkerID() {
				t.Fatalf("the second Acquire got the held WorkerId %d again", first.WorkerID())
			}
			wantPeer(t, b, "n", second.WorkerID())
			if err := first.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
				t.Fatalf("the first lease, still to be released, cannot reserve: %v", err)
			}
			// Another process with the same node name is still refused.
			_, err = open(t, zk.Addr(), cluster, func(c *Config) { c.Mode = mode }).Acquire(ctx, claimFor("n", 15))
			wantErr(t, err, coord.ErrNodeLive)

			if err := first.Release(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			wantPeer(t, b, "n", second.WorkerID())
			if err := second.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
				t.Fatalf("the second lease after the first was released: %v", err)
			}
			if err := second.Release(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			if peers, err := b.Peers(ctx); err != nil || len(peers) != 0 {
				t.Fatalf("Peers() after both released = %+v, %v; want none", peers, err)
			}
		})
	}
}

// wantPeer fails the test unless node is listed once among the peers, with
// WorkerId wid.
func wantPeer(t *testing.T, b *Backend, node string, wid int64) {
	t.Helper()
	peers, err := b.Peers(testproc.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range peers {
		if p.Node == node {
			n++
			if p.WorkerID != wid {
				t.Fatalf("Peers() = %+v: %s has WorkerId %d, want %d", peers, node, p.WorkerID, wid)
			}
		}
	}
	if n != 1 {
		t.Fatalf("Peers() = %+v: %s listed %d times, want once", peers, node, n)
	}
}
