package idcoord_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// issuer draws IDs from a node in a goroutine until stopped, keeping every
// ID; ErrNotReady is waited out, anything else fails the test.
type issuer struct {
	t    *testing.T
	n    *idcoord.Node
	stop atomic.Bool
	wg   sync.WaitGroup
	mu   sync.Mutex
	ids  []int64
}

func issue(t *testing.T, n *idcoord.Node) *issuer {
	is := &issuer{t: t, n: n}
	is.wg.Add(1)
	go func() {
		defer is.wg.Done()
		ctx := context.Background()
		for !is.stop.Load() {
			ids, err := n.NextIDs(ctx, 64)
			if err != nil {
				if !errors.Is(err, idcoord.ErrNotReady) {
					t.Errorf("draw: %v, want only ErrNotReady", err)
					return
				}
				time.Sleep(time.Millisecond)
				continue
			}
			is.mu.Lock()
			is.ids = append(is.ids, ids...)
			is.mu.Unlock()
			time.Sleep(100 * time.Microsecond) // load, not a flood: every ID is kept
		}
	}()
	return is
}

func (is *issuer) count() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return len(is.ids)
}

func (is *issuer) halt() []int64 {
	is.stop.Store(true)
	is.wg.Wait()
	return is.ids
}

// TestRestoredStoreNewHolderWaitsPastForgottenW: the store is restored from
// a backup taken before node A claimed the only WorkerId of the layout,
// while A is cut off from the store (inside its lease or session), so A
// keeps issuing up to its own W, which the restored store does not show.
// Node B starts right after the restore and claims the same WorkerId, with
// no W. The claim floor (one Window plus the peer-drift bound past B's
// clock) keeps B's IDs above everything A can still issue: no ID of A and B
// repeats. On etcd, and on ZooKeeper (ephemeral mode; A's 10s session
// outlives the restart).
func TestRestoredStoreNewHolderWaitsPastForgottenW(t *testing.T) {
	t.Run("etcd", func(t *testing.T) {
		srv := etcdtest.StartBinary(t)
		restoreUnderCutOffHolder(t, srv, srv.Endpoints()[0], func(ctx context.Context, addr string, log *zap.Logger) (coord.Backend, error) {
			return etcd.New(ctx, etcd.Config{Endpoints: []string{addr}, Cluster: clusterOf(t), TTL: 10 * time.Second,
				DialTimeout: 2 * time.Second, Logger: log})
		})
	})
	t.Run("zk", func(t *testing.T) {
		srv := zktest.Start(t)
		restoreUnderCutOffHolder(t, srv, srv.Addr(), func(ctx context.Context, addr string, log *zap.Logger) (coord.Backend, error) {
			return zkcoord.New(ctx, zkcoord.Config{Servers: []string{addr}, Cluster: clusterOf(t), Mode: zkcoord.ModeEphemeral,
				SessionTimeout: 10 * time.Second, ConnectTimeout: 5 * time.Second, Logger: log})
		})
	})
}

// restoreUnderCutOffHolder runs the scenario of
// TestRestoredStoreNewHolderWaitsPastForgottenW on srv, whose clients
// connect to addr through open.
func restoreUnderCutOffHolder(t *testing.T, srv testproc.Restorable, addr string,
	open func(ctx context.Context, addr string, log *zap.Logger) (coord.Backend, error)) {
	one := snowflake.Twitter()
	one.WorkerBits = 1 // WorkerId 1 only: B takes A's
	backup := testproc.Backup(t, srv)

	proxy := faultproxy.NewWith(t, addr, faultproxy.Options{})
	start := func(name, addr string) *idcoord.Node {
		t.Helper()
		ctx := testproc.Context(t)
		log := coordtest.Logger(t, zap.InfoLevel).Named(name)
		b, err := open(ctx, addr, log)
		if err != nil {
			t.Fatal(err)
		}
		n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: name, Admin: "127.0.0.1:1", Layout: one, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close(context.Background()) })
		return n
	}
	a := start("a", proxy.Addr())
	ia := issue(t, a)
	ctx := testproc.Context(t)
	for ia.count() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("A issued nothing")
		case <-time.After(10 * time.Millisecond):
		}
	}

	// A's link goes down; the store is restored from the backup meanwhile.
	proxy.Block()
	cut := ia.count()
	testproc.Restore(t, srv, backup)

	b := start("b", addr)
	if got, want := b.Status().WorkerID, a.Status().WorkerID; got != want {
		t.Fatalf("B took WorkerId %d, A %d: the test needs them equal", got, want)
	}
	ib := issue(t, b)
	time.Sleep(2 * time.Second)
	proxy.Unblock()
	time.Sleep(time.Second)
	checkNoDuplicates(t, ia.halt(), ib.halt(), cut)
}

// checkNoDuplicates fails the test if any ID of A equals one of B, or if
// either issued nothing in the overlap the test needs (A after its link was
// cut at index cut).
func checkNoDuplicates(t *testing.T, idsA, idsB []int64, cut int) {
	t.Helper()
	seen := make(map[int64]struct{}, len(idsA)+len(idsB))
	dup := 0
	for _, ids := range [][]int64{idsA, idsB} {
		for _, id := range ids {
			if _, ok := seen[id]; ok {
				dup++
			}
			seen[id] = struct{}{}
		}
	}
	t.Logf("A issued %d IDs (%d after its link was cut), B %d; %d duplicates", len(idsA), len(idsA)-cut, len(idsB), dup)
	if len(idsA) == cut || len(idsB) == 0 {
		t.Fatalf("the test needs both to issue: A after the cut %d, B %d", len(idsA)-cut, len(idsB))
	}
	if dup != 0 {
		t.Fatalf("%d IDs of A and B are equal", dup)
	}
}

// TestClaimFloorIsNotAStartupRefusal: a MaxStartupWait below the claim
// floor's wait (Window + 2×MaxDrift) still starts: it bounds only how far
// the WorkerId's history is ahead of the clock. The node's floor is at
// least its clock at the claim + Window + 2×MaxDrift, and its first ID is
// above that.
func TestClaimFloorIsNotAStartupRefusal(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	clock := clockguard.NewManualClock(time.Now())
	clock.SetAutoAdvance(true)
	ctx := testproc.Context(t)
	log := coordtest.Logger(t, zap.InfoLevel)
	b, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: clusterOf(t), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	before := clock.Now()
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: "web-0", Admin: "127.0.0.1:1", Clock: clock,
		Monotonic: manualMonotonic(clock), MaxStartupWait: 100 * time.Millisecond, StartTimeout: time.Second, Logger: log})
	if err != nil {
		t.Fatalf("Start with MaxStartupWait 100ms and StartTimeout 1s: %v", err)
	}
	defer n.Close(context.Background())
	want := before.Add(idcoord.DefaultWindow + 2*idcoord.DefaultMaxDrift)
	if floor := n.Status().Floor; floor.Before(want) {
		t.Fatalf("floor %s, want at least %s (clock at Start + Window + 2×MaxDrift)", floor, want)
	}
	id, err := n.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := snowflake.Twitter().Decompose(id)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Time.After(want.Add(-time.Millisecond)) {
		t.Fatalf("first ID at %s, not past the claim floor %s", p.Time, want)
	}
}

// TestForwardStepDuringClaimFloorWait: the wall clock steps 10s forward
// while Start waits for the claim floor, with no peer to confirm the step.
// The wait ends at once on the wall clock, but W may reach only one window
// past what the monotonic clock vouches for, which is still short of the
// floor: Start waits on until W reaches past it, then starts, instead of
// failing with an empty window.
func TestForwardStepDuringClaimFloorWait(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	clock := clockguard.NewManualClock(time.Now())
	began := time.Now()
	mono := func() time.Duration { return time.Since(began) }
	ctx := testproc.Context(t)
	log := coordtest.Logger(t, zap.InfoLevel)
	b, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: clusterOf(t), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	type started struct {
		n   *idcoord.Node
		err error
	}
	done := make(chan started, 1)
	go func() {
		n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: "web-0", Admin: "127.0.0.1:1", Clock: clock,
			Monotonic: mono, MaxDrift: 500 * time.Millisecond, Logger: log})
		done <- started{n, err}
	}()
	for clock.Waiters() == 0 { // Start sleeps on the wall clock: the claim floor wait
		select {
		case s := <-done:
			t.Fatalf("Start returned before it waited for the claim floor: %v", s.err)
		case <-ctx.Done():
			t.Fatal("Start never waited for the claim floor")
		case <-time.After(10 * time.Millisecond):
		}
	}
	clock.Advance(10 * time.Second)
	s := <-done
	if s.err != nil {
		t.Fatalf("Start after a forward step during the claim floor wait: %v", s.err)
	}
	defer s.n.Close(context.Background())
	st := s.n.Status()
	if !st.HighWater.After(st.Floor) {
		t.Fatalf("W %s is not past the floor %s", st.HighWater, st.Floor)
	}
	t.Logf("started %v after the step; floor %s, W %s, clock %s", time.Since(began).Round(time.Millisecond),
		st.Floor.Format(time.RFC3339Nano), st.HighWater.Format(time.RFC3339Nano), clock.Now().Format(time.RFC3339Nano))
}
