// Package coordtest is the conformance suite every coord.Backend passes,
// against a real server. A backend's tests call Run with a Harness.
package coordtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// Harness describes the backend under test.
type Harness struct {
	// New opens a new client of the backend, on the same server and cluster,
	// as a new process would. The suite closes it.
	New func(t *testing.T) coord.Backend
	// MaxWorkerID for claims; keep it small (such as 15) so that exhaustion
	// is quick to reach.
	MaxWorkerID int64
	// Recycles says whether a released WorkerID can go to another node
	// (false for ZooKeeper's sequential mode, where it is bound forever).
	Recycles bool
	// Steal, if set, takes the WorkerID held by a lease away behind its back,
	// as an operator with a plain client would.
	Steal func(t *testing.T, l coord.Lease)
	// WriteRaw, if set, writes value under key, relative to the cluster's
	// prefix (such as "segments/bad"), with a plain client, creating the
	// parents it needs and replacing what is there, as an operator or a
	// broken writer could. t is the test New was called with: the harnesses
	// name the cluster after it.
	WriteRaw func(t *testing.T, key string, value []byte)
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"ExclusiveHolders", testExclusive},
		{"HighWaterPassesOnRelease", testHighWaterHandover},
		{"StickyAfterRestart", testSticky},
		{"ReserveRaisesOnly", testReserve},
		{"PeersAndReports", testPeersAndReports},
		{"StolenWorkerFencesHolder", testStolen},
		{"FreshWorkerWhileHolding", testFreshWorker},
		{"NodeNameLiveInOneProcess", testNodeLive},
		{"NodeNameFreedByCrash", testNodeCrash},
		{"OneLayoutPerCluster", testLayout},
		{"Segments", testSegments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, h) })
	}
}

var clusterSeq struct {
	sync.Mutex
	n int
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, h Harness) coord.Backend {
	t.Helper()
	b := h.New(t)
	t.Cleanup(func() { b.Close() })
	return b
}

// node returns a node name unique to this test run.
func node(t *testing.T, name string) string {
	clusterSeq.Lock()
	defer clusterSeq.Unlock()
	clusterSeq.n++
	return fmt.Sprintf("%s-n%d", name, clusterSeq.n)
}

func claim(h Harness, node string) coord.Claim {
	return coord.Claim{Node: node, Admin: "127.0.0.1:7070", MaxWorkerID: h.MaxWorkerID, Reserved: []int64{0}}
}

// acquire claims a WorkerId for a node named after name on a new backend,
// and fails the test if it cannot.
func acquire(ctx context.Context, t *testing.T, h Harness, name string) coord.Lease {
	t.Helper()
	l, err := open(t, h).Acquire(ctx, claim(h, node(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func release(t *testing.T, l coord.Lease) {
	t.Helper()
	if err := l.Release(ctxFor(t), l.HighWater()); err != nil {
		t.Errorf("Release: %v", err)
	}
}

func testExclusive(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	n := int(h.MaxWorkerID)
	leases := make([]coord.Lease, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := open(t, h)
			leases[i], errs[i] = b.Acquire(ctx, claim(h, node(t, "excl")))
		}()
	}
	wg.Wait()
	held := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d of %d: %v", i, n, err)
		}
		wid := leases[i].WorkerID()
		if held[wid] || wid < 1 || wid > h.MaxWorkerID {
			t.Fatalf("WorkerId %d handed out twice or out of range", wid)
		}
		held[wid] = true
	}
	_, err := open(t, h).Acquire(ctx, claim(h, node(t, "excl-extra")))
	if !errors.Is(err, coord.ErrNoFreeWorker) {
		t.Fatalf("Acquire with every WorkerId held = %v, want ErrNoFreeWorker", err)
	}
	t.Logf("exhaustion error: %v", err)
	for _, l := range leases {
		release(t, l)
	}
}

func testHighWaterHandover(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	a := acquire(ctx, t, h, "hw-a")
	w := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	if err := a.Reserve(ctx, w); err != nil {
		t.Fatal(err)
	}
	final := time.Now().Add(time.Second).Truncate(time.Millisecond)
	if err := a.Release(ctx, final); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	default:
		t.Fatal("a released lease is not Done")
	}
	if err := a.Reserve(ctx, w.Add(time.Second)); err == nil {
		t.Fatal("Reserve after Release succeeded")
	}
	b := acquire(ctx, t, h, "hw-b")
	defer release(t, b)
	switch {
	case h.Recycles && b.WorkerID() != a.WorkerID():
		// Pick draws from a hash of the name, so b may prefer another
		// free WorkerID; only a handover of the same one says something.
		t.Logf("b took WorkerId %d, a held %d", b.WorkerID(), a.WorkerID())
	case h.Recycles && !b.HighWater().Equal(final):
		t.Fatalf("new holder read W %s, want the released %s", b.HighWater(), final)
	case !h.Recycles && b.WorkerID() == a.WorkerID():
		t.Fatalf("WorkerId %d went to another identity in a non-recycling mode", b.WorkerID())
	}
	if !b.Deadline().After(time.Now()) {
		t.Fatalf("deadline %s of a fresh lease is not in the future", b.Deadline())
	}
}

func testSticky(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	name := node(t, "sticky")
	first, err := open(t, h).Acquire(ctx, claim(h, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Report(ctx, coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: first.WorkerID(), Admin: "127.0.0.1:7070"}); err != nil {
		t.Fatal(err)
	}
	release(t, first)
	again, err := open(t, h).Acquire(ctx, claim(h, name))
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, again)
	if again.WorkerID() != first.WorkerID() {
		t.Fatalf("restart got WorkerId %d, want the sticky %d", again.WorkerID(), first.WorkerID())
	}
}

func testReserve(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	l := acquire(ctx, t, h, "reserve")
	high := time.Now().Add(5 * time.Second).Truncate(time.Millisecond)
	if err := l.Reserve(ctx, high); err != nil {
		t.Fatal(err)
	}
	if err := l.Reserve(ctx, high.Add(-time.Second)); err != nil {
		t.Fatalf("a lower Reserve must be a no-op: %v", err)
	}
	if err := l.Release(ctx, l.HighWater()); err != nil {
		t.Fatal(err)
	}
	// Release may move W down to the last issued time, never below the W
	// read at claim.
	if h.Recycles {
		next := acquire(ctx, t, h, "reserve-next")
		defer release(t, next)
		if next.WorkerID() == l.WorkerID() && next.HighWater().Before(l.HighWater()) {
			t.Fatalf("W went below the claim-time W: %s < %s", next.HighWater(), l.HighWater())
		}
	}
}

func testPeersAndReports(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	b := open(t, h)
	name := node(t, "peer")
	l, err := b.Acquire(ctx, claim(h, name))
	if err != nil {
		t.Fatal(err)
	}
	peers, err := b.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasPeer(peers, name, l.WorkerID()) {
		t.Fatalf("Peers() = %+v, missing %s with WorkerId %d", peers, name, l.WorkerID())
	}
	r := coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: l.WorkerID(), Admin: "127.0.0.1:7070"}
	if err := l.Report(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.LastReport(ctx, name)
	if err != nil || !ok || got != r {
		t.Fatalf("LastReport = %+v, %v, %v; want %+v", got, ok, err, r)
	}
	if _, ok, err := b.LastReport(ctx, node(t, "never-reported")); ok || err != nil {
		t.Fatalf("LastReport of an unknown node = %v, %v", ok, err)
	}
	release(t, l)
	peers, err = b.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hasPeer(peers, name, l.WorkerID()) {
		t.Fatalf("released node %s still listed as a peer", name)
	}
}

func hasPeer(peers []coord.Peer, name string, wid int64) bool {
	for _, p := range peers {
		if p.Node == name && p.WorkerID == wid && p.Admin != "" {
			return true
		}
	}
	return false
}

func testStolen(t *testing.T, h Harness) {
	if h.Steal == nil {
		t.Skip("the backend has no way to steal a WorkerId behind a holder's back")
	}
	ctx := ctxFor(t)
	l := acquire(ctx, t, h, "stolen")
	h.Steal(t, l)
	select {
	case <-l.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("holder did not notice within 2s that its WorkerId was taken")
	}
	if !errors.Is(l.Err(), coord.ErrFenced) {
		t.Fatalf("Err() = %v, want ErrFenced", l.Err())
	}
	if !l.Deadline().Before(time.Now()) {
		t.Fatalf("deadline %s still ahead after the WorkerId was taken", l.Deadline())
	}
	if err := l.Reserve(ctx, time.Now().Add(time.Hour)); !errors.Is(err, coord.ErrFenced) {
		t.Fatalf("Reserve by a fenced holder = %v, want ErrFenced", err)
	}
	l.Release(ctx, l.HighWater()) //nolint:errcheck // already lost
}

// testNodeLive claims a node name from two clients, as two processes
// started with the same node.name would: the second is refused with
// ErrNodeLive, the first keeps its WorkerID and its place among the peers,
// and once it releases, the name is free.
func testNodeLive(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	name := node(t, "twin")
	first, err := open(t, h).Acquire(ctx, claim(h, name))
	if err != nil {
		t.Fatal(err)
	}
	second := open(t, h)
	twin, err := second.Acquire(ctx, claim(h, name))
	if !errors.Is(err, coord.ErrNodeLive) {
		if err == nil {
			release(t, twin)
		}
		release(t, first)
		t.Fatalf("Acquire of a node name live in another client = WorkerId %v, %v; want ErrNodeLive", workerOf(twin), err)
	}
	t.Logf("refusal: %v", err)
	select {
	case <-first.Done():
		t.Fatalf("the first holder lost its WorkerId to the refused claim: %v", first.Err())
	default:
	}
	if err := first.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
		t.Fatalf("the first holder cannot reserve after the refused claim: %v", err)
	}
	peers, err := second.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := countPeer(peers, name); n != 1 || !hasPeer(peers, name, first.WorkerID()) {
		t.Fatalf("Peers() = %+v: want %s once, with the first holder's WorkerId %d", peers, name, first.WorkerID())
	}
	release(t, first)
	again, err := second.Acquire(ctx, claim(h, name))
	if err != nil {
		t.Fatalf("Acquire after the live holder released: %v", err)
	}
	release(t, again)
}

// testNodeCrash closes a holder's client without releasing, as a crash
// would: a restart under the same name is refused only until the store
// frees the crashed holder's lease or session, then succeeds.
func testNodeCrash(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	name := node(t, "crash")
	crashed := h.New(t)
	l, err := crashed.Acquire(ctx, claim(h, name))
	if err != nil {
		crashed.Close()
		t.Fatal(err)
	}
	// No Release: the store must free the name by itself. Releasing
	// afterwards only stops the lease's goroutines; its client is gone.
	crashed.Close()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.Release(ctx, l.HighWater()) //nolint:errcheck // see above
	})
	b := open(t, h)
	refusals := 0
	for {
		again, err := b.Acquire(ctx, claim(h, name))
		if err == nil {
			t.Logf("restart under the same name took WorkerId %d after %d refusals", again.WorkerID(), refusals)
			release(t, again)
			return
		}
		if !errors.Is(err, coord.ErrNodeLive) {
			t.Fatalf("restart after a crash: %v, want ErrNodeLive until the crashed holder expires", err)
		}
		refusals++
		select {
		case <-ctx.Done():
			t.Fatalf("the crashed holder's name is still live: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func countPeer(peers []coord.Peer, name string) int {
	n := 0
	for _, p := range peers {
		if p.Node == name {
			n++
		}
	}
	return n
}

func workerOf(l coord.Lease) any {
	if l == nil {
		return "none"
	}
	return l.WorkerID()
}

// testFreshWorker asks for a second WorkerID for a node that still holds
// one, as a node does after a large backward clock step: it takes a fresh
// WorkerID and only then gives the old one back. A recycling backend hands
// out another WorkerID and lists the node once, with the new one, before and
// after the old lease is released; a backend that binds one WorkerID to a
// node refuses with ErrNoFreeWorker and leaves the holder alone.
func testFreshWorker(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	b := open(t, h)
	name := node(t, "fresh")
	first, err := b.Acquire(ctx, claim(h, name))
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Acquire(ctx, claim(h, name))
	if !h.Recycles {
		if !errors.Is(err, coord.ErrNoFreeWorker) {
			t.Fatalf("a second Acquire for %s = %v, want ErrNoFreeWorker", name, err)
		}
		if err := first.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
			t.Fatalf("the refused claim hurt the holder: %v", err)
		}
		release(t, first)
		return
	}
	if err != nil {
		t.Fatalf("a second Acquire for %s, which holds WorkerId %d: %v", name, first.WorkerID(), err)
	}
	if second.WorkerID() == first.WorkerID() {
		t.Fatalf("the second Acquire got the held WorkerId %d again", first.WorkerID())
	}
	for _, when := range []string{"before", "after"} {
		peers, err := b.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if countPeer(peers, name) != 1 || !hasPeer(peers, name, second.WorkerID()) {
			t.Fatalf("%s the first lease was released, Peers() = %+v: want %s once, with WorkerId %d", when, peers, name, second.WorkerID())
		}
		if when == "before" {
			release(t, first)
		}
	}
	if err := second.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
		t.Fatalf("the second lease after the first was released: %v", err)
	}
	release(t, second)
}
