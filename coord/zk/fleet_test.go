package zkcoord

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// TestFleetStart starts 100 nodes at once on 127 WorkerIds, each with its
// own session: every node holds a distinct WorkerId, and the requests each
// node's Acquire sent are bounded by a constant plus a constant per claim
// it lost to a racing node, whatever the fleet's size or the occupancy.
func TestFleetStart(t *testing.T) {
	zk := startFleetZK(t)
	nodes, last := fleetStart(t, zk.Addr(), 100, 127, 10*time.Second)
	distinct(t, nodes)
	// A node's first claim: the listing of the tree, its report and the
	// listing of workers/, then W (a read, a create that may lose to
	// another node's, a read again) and the multi. Each lost race: a look
	// at the holder and a listing, then the next WorkerId's W and multi.
	const first, perRace = 1 + 2 + 3 + 1, 2 + 3 + 1
	var races, ops int64
	for i, n := range nodes {
		if bound := first + perRace*n.lostRaces; n.ops > bound {
			t.Errorf("node n%04d sent %d requests after %d lost races, more than %d", i, n.ops, n.lostRaces, bound)
		}
		races += n.lostRaces
		ops += n.ops
	}
	t.Logf("100 nodes on 127 WorkerIds: last node after %v, %.2f requests and %.2f lost races a node",
		last.Round(time.Millisecond), float64(ops)/100, float64(races)/100)
}

// fleetNode is what one node of fleetStart got.
type fleetNode struct {
	wid       int64 // its WorkerId
	ops       int64 // requests its Acquire sent
	lostRaces int64 // claims it lost to another node
}

// fleetStart starts n nodes at once, each with its own Backend (session),
// that claim WorkerIds 1..max of one cluster in ephemeral mode, none held. It
// returns what each node got, and the time from the start until the last
// node held its WorkerId (connecting included). The Backends close with
// the test.
func fleetStart(tb testing.TB, addr string, n int, max int64, timeout time.Duration) (nodes []fleetNode, last time.Duration) {
	tb.Helper()
	cluster := fmt.Sprintf("fleet%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The cluster's directories exist, as for a fleet that restarts or
	// grows: a new cluster's first nodes also create them.
	if err := open(tb, addr, cluster, nil).ensureTree(ctx); err != nil {
		tb.Fatal(err)
	}
	nodes = make([]fleetNode, n)
	errs := make([]error, n)
	backends := make([]*Backend, n)
	tb.Cleanup(func() {
		var wg sync.WaitGroup
		for _, be := range backends {
			if be != nil {
				wg.Add(1)
				go func() { defer wg.Done(); be.Close() }()
			}
		}
		wg.Wait()
	})
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			be, err := New(ctx, Config{Servers: []string{addr}, Cluster: cluster, Mode: ModeEphemeral,
				SessionTimeout: timeout, ConnectTimeout: 2 * time.Minute, Logger: zap.NewNop()})
			if err != nil {
				errs[i] = err
				return
			}
			backends[i] = be
			l, err := be.Acquire(ctx, coord.Claim{Node: fmt.Sprintf("n%04d", i), Admin: "127.0.0.1:7070", MaxWorkerID: max, Reserved: []int64{0}})
			if err != nil {
				errs[i] = err
				return
			}
			nodes[i] = fleetNode{wid: l.WorkerID(), ops: be.AcquireOps(), lostRaces: be.lostRaces.Load()}
		}()
	}
	start := time.Now()
	close(ready)
	wg.Wait()
	last = time.Since(start)
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("node n%04d: %v", i, err)
		}
	}
	return nodes, last
}

// distinct fails the test when two nodes hold one WorkerId.
func distinct(tb testing.TB, nodes []fleetNode) {
	tb.Helper()
	seen := map[int64]int{}
	for i, n := range nodes {
		if j, ok := seen[n.wid]; ok {
			tb.Fatalf("WorkerId %d held by node n%04d and node n%04d", n.wid, j, i)
		}
		seen[n.wid] = i
	}
}

// TestAcquireOps counts the requests of one node's Acquire while 10%, 90%
// and 99% of 1,023 WorkerIds are held by another session and no node races
// it: the listing of the tree (first Acquire of a session only), the
// node's report and the listing of workers/, W (a read, and a create the
// first time the WorkerId is used) and the multi. A sticky WorkerId that is
// held adds one look at its holder and one at the node's peer record.
func TestAcquireOps(t *testing.T) {
	zk := startZK(t)
	for _, occupied := range []float64{0.10, 0.90, 0.99} {
		t.Run(fmt.Sprintf("%.0f%%", occupied*100), func(t *testing.T) {
			ctx := testCtx(t)
			cluster := fmt.Sprintf("ops%.0f", occupied*100)
			filler := open(t, zk.Addr(), cluster, func(c *Config) { c.Mode = ModeEphemeral })
			fill(t, filler, zk.Addr(), int(occupied*benchWorkers+0.5))
			held, err := filler.heldWorkers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b := open(t, zk.Addr(), cluster, func(c *Config) { c.Mode = ModeEphemeral })
			for i, want := range []int64{1 + 2 + 2 + 1, 2 + 2 + 1, 1 + 2 + 2 + 1} {
				c := claimFor(fmt.Sprintf("node%d", i), benchWorkers)
				if i == 2 { // sticky, and held
					for wid := range held {
						c.Sticky = wid
						break
					}
					// c.Sticky: the report is not read (one less); its
					// holder being live, the node's own peer record is
					// looked at (one more).
				}
				before := b.AcquireOps()
				l := mustAcquire(t, b, c)
				if ops := b.AcquireOps() - before; ops > want {
					t.Errorf("Acquire %d (WorkerId %d) sent %d requests, want at most %d", i, l.WorkerID(), ops, want)
				}
				if held[l.WorkerID()] {
					t.Fatalf("Acquire %d got WorkerId %d, which is held", i, l.WorkerID())
				}
				if err := l.Release(ctx, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
