package zkcoord_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// TestNodeServerCrash kills ZooKeeper with SIGKILL under three nodes that draw
// IDs: past their fence they are not ready and issue nothing; after a
// restart they recover by themselves. No ID repeats, each node's IDs
// increase, and in sequential mode identities keep their WorkerIds and a new
// identity gets a higher sequence number.
func TestNodeServerCrash(t *testing.T) {
	for _, mode := range []zkcoord.Mode{zkcoord.ModeEphemeral, zkcoord.ModeSequential} {
		t.Run(string(mode), func(t *testing.T) {
			noLeaks(t)
			srv := zktest.StartWith(t, zktest.Options{TickTime: 200 * time.Millisecond})
			base := zkNode{addr: srv.Addr(), cluster: clusterOf(t), mode: mode}
			names := []string{"crash-a", "crash-b", "crash-c"}
			nodes := make([]*idcoord.Node, len(names))
			drawers := make([]*zkDrawer, len(names))
			before := make([]int64, len(names))
			for i, name := range names {
				o := base
				o.name = name
				nodes[i] = mustStartZK(t, o)
				before[i] = nodes[i].Status().WorkerID
				drawers[i] = drawFrom(t, name, nodes[i])
			}
			eachDrawer := func(cond func(i, ok, failed int) bool) func() bool {
				return func() bool {
					for i, d := range drawers {
						if ok, failed := d.counts(); !cond(i, ok, failed) {
							return false
						}
					}
					return true
				}
			}
			testproc.Eventually(t, "every node draws IDs", eachDrawer(func(_, ok, _ int) bool { return ok >= 20 }))

			srv.Kill()
			killed := time.Now()
			testproc.Within(t, 3*zkSession, "every node not ready once ZooKeeper is dead", func() bool {
				for _, n := range nodes {
					if n.Ready() == nil {
						return false
					}
				}
				return true
			})
			t.Logf("killed at 0; every node not ready at %v", time.Since(killed).Round(time.Millisecond))
			for i, n := range nodes {
				_, err := n.NextID(context.Background())
				if !errors.Is(err, idcoord.ErrNotReady) {
					t.Fatalf("%s: NextID while ZooKeeper is down = %v, want ErrNotReady", names[i], err)
				}
				if i == 0 {
					t.Logf("%s while ZooKeeper is down: %v", names[i], err)
				}
			}
			// Nothing is issued while the server stays down.
			served := make([]int, len(drawers))
			failedBefore := make([]int, len(drawers))
			for i, d := range drawers {
				served[i], failedBefore[i] = d.counts()
			}
			testproc.Within(t, 5*time.Second, "every node keeps refusing", eachDrawer(func(i, _, failed int) bool { return failed >= failedBefore[i]+20 }))
			for i, d := range drawers {
				if ok, _ := d.counts(); ok != served[i] {
					t.Fatalf("%s issued %d batches after it went not ready, while ZooKeeper was down", names[i], ok-served[i])
				}
			}

			srv.Restart(t)
			restarted := time.Now()
			// Recovery takes up to two session timeouts to give up the old
			// session, one more for the server to expire it, and the claim
			// floor's wait: about 7s, given twice that and more on a busy
			// machine.
			testproc.WithinErr(t, 30*time.Second, "every node ready again by itself", func() error {
				for i, n := range nodes {
					if err := n.Ready(); err != nil {
						return fmt.Errorf("%s: %w", names[i], err)
					}
				}
				return nil
			})
			t.Logf("down for %v; every node ready %v after the restart",
				restarted.Sub(killed).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
			testproc.Eventually(t, "every node draws again", eachDrawer(func(i, ok, _ int) bool { return ok >= served[i]+20 }))

			after := make([]int64, len(nodes))
			for i, n := range nodes {
				after[i] = n.Status().WorkerID
			}
			t.Logf("WorkerIds before the crash %v, after %v", before, after)
			var extra *zkDrawer
			if mode == zkcoord.ModeSequential {
				for i := range nodes {
					if after[i] != before[i] {
						t.Fatalf("%s: WorkerId %d after the restart, want the %d bound to its identity", names[i], after[i], before[i])
					}
				}
				o := base
				o.name = "crash-new"
				n := mustStartZK(t, o)
				wid := n.Status().WorkerID
				if top := max(before[0], before[1], before[2]); wid <= top {
					t.Fatalf("a new identity after the restart got WorkerId %d, want above %d", wid, top)
				}
				t.Logf("a new identity after the restart got WorkerId %d", wid)
				extra = drawFrom(t, o.name, n)
				testproc.Eventually(t, "the new node draws", func() bool { ok, _ := extra.counts(); return ok >= 20 })
				drawers = append(drawers, extra)
			}
			total := checkIssued(t, drawers...)
			t.Logf("%d IDs from %d nodes, 0 duplicates", total, len(drawers))
		})
	}
}

// TestNodeSessionExpiry cuts one node's link to ZooKeeper past its session
// timeout, in ephemeral mode with a single WorkerId. The cut node stops at
// its fence; the server expires its session and another node takes the
// WorkerId. Once the link heals the old node stays not ready, since the
// WorkerId is taken, and serves again only after it has acquired it anew,
// above everything the other node issued.
func TestNodeSessionExpiry(t *testing.T) {
	noLeaks(t)
	srv := zktest.StartWith(t, zktest.Options{TickTime: 500 * time.Millisecond, MinSessionTimeout: 2 * time.Second,
		MaxSessionTimeout: 4 * time.Second})
	proxy := faultproxy.New(t, srv.Addr())
	one := snowflake.Twitter()
	one.WorkerBits = 1 // only WorkerId 1 is usable
	base := zkNode{cluster: clusterOf(t), mode: zkcoord.ModeEphemeral, layout: one}
	ctx := context.Background()

	oldOpts := base
	oldOpts.addr, oldOpts.name = proxy.Addr(), "old"
	old := mustStartZK(t, oldOpts)
	if wid := old.Status().WorkerID; wid != 1 {
		t.Fatalf("old node holds WorkerId %d, want 1", wid)
	}
	oldDraws := drawFrom(t, "old", old)
	testproc.Eventually(t, "the old node draws", func() bool { ok, _ := oldDraws.counts(); return ok >= 20 })

	newOpts := base
	newOpts.addr, newOpts.name = srv.Addr(), "new"
	if _, err := startZKNode(t, newOpts); !errors.Is(err, coord.ErrNoFreeWorker) {
		t.Fatalf("second node started while the only WorkerId is held: %v, want ErrNoFreeWorker", err)
	}

	proxy.Block()
	blocked := time.Now()
	testproc.Within(t, 2*zkSession, "the cut node goes not ready", func() bool { return old.Ready() != nil })
	stopped := time.Now()
	t.Logf("cut at 0; old node not ready at %v: %v", stopped.Sub(blocked).Round(time.Millisecond), old.Ready())

	var next *idcoord.Node
	testproc.Within(t, 15*time.Second, "another node takes WorkerId 1", func() bool {
		n, err := startZKNode(t, newOpts)
		if err != nil && !errors.Is(err, coord.ErrNoFreeWorker) {
			t.Fatalf("start the new node: %v", err)
		}
		next = n
		return err == nil
	})
	took := time.Now()
	if wid := next.Status().WorkerID; wid != 1 {
		t.Fatalf("new node holds WorkerId %d, want 1", wid)
	}
	t.Logf("new node serving WorkerId 1 at %v", took.Sub(blocked).Round(time.Millisecond))
	nextDraws := drawFrom(t, "new", next)

	proxy.Unblock()
	testproc.Within(t, 4*zkSession, "the old node learns it lost WorkerId 1 and finds none free", func() bool {
		var nr *idcoord.NotReadyError
		return errors.As(old.Ready(), &nr) && nr.Reason == idcoord.ReasonNoWorkerID
	})
	if _, err := old.NextID(ctx); !errors.Is(err, idcoord.ErrNotReady) {
		t.Fatalf("old node's NextID while another holds its WorkerId = %v, want ErrNotReady", err)
	}
	t.Logf("healed at %v; old node: %v", time.Since(blocked).Round(time.Millisecond), old.Ready())
	testproc.Eventually(t, "the new node draws", func() bool { ok, _ := nextDraws.counts(); return ok >= 20 })

	// The new node gives WorkerId 1 back; the old one takes it again.
	nextBatches := nextDraws.halt()
	closing := time.Now()
	if err := next.Close(ctx); err != nil {
		t.Fatalf("close the new node: %v", err)
	}
	testproc.Within(t, 10*time.Second, "the old node serves again", func() bool { return len(oldDraws.since(closing)) > 0 })
	t.Logf("old node serving again %v after the new one closed", time.Since(closing).Round(time.Millisecond))

	if served := oldDraws.since(stopped); len(served) > 0 && served[0].asked.Before(closing) {
		t.Fatalf("old node issued %v, asked %v after it went not ready and before the new holder let go",
			served[0].ids, served[0].asked.Sub(stopped))
	}
	lastNew := nextBatches[len(nextBatches)-1].ids
	firstOld := oldDraws.since(closing)[0].ids[0]
	if p, _ := one.Decompose(firstOld); p.WorkerID != 1 || firstOld <= lastNew[len(lastNew)-1] {
		t.Fatalf("old node's first ID again %d (%+v) is not above the new holder's last %d", firstOld, p, lastNew[len(lastNew)-1])
	}
	total := checkIssued(t, oldDraws, nextDraws)
	t.Logf("%d IDs, 0 duplicates", total)
}
