package zkcoord

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

func TestSequential(t *testing.T) {
	zk := startZK(t)
	addr := zk.Addr()
	withIdentity := func(id string) func(*Config) { return func(c *Config) { c.Identity = id } }

	t.Run("MarkerConsumesZero", func(t *testing.T) {
		b := open(t, addr, "marker", withIdentity("10.0.0.1:7070"))
		l := mustAcquire(t, b, claimFor("n1", 1023))
		if l.WorkerID() != 1 {
			t.Fatalf("first identity got WorkerId %d, want 1", l.WorkerID())
		}
		names, _, err := raw(t, addr).Children(b.p.forever)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		if want := []string{"10.0.0.1:7070-0000000001", "idcoord.reserved-0000000000"}; !slices.Equal(names, want) {
			t.Fatalf("forever children %v, want %v", names, want)
		}
		if !l.HighWater().Equal(time.UnixMilli(0)) {
			t.Fatalf("a new identity's W is %v, want the epoch", l.HighWater())
		}
	})

	t.Run("ReservedAreConsumed", func(t *testing.T) {
		c := coord.Claim{Node: "n1", MaxWorkerID: 1023, Reserved: []int64{0, 2, 3}}
		l1 := mustAcquire(t, open(t, addr, "reserved", withIdentity("10.0.0.1:7070")), c)
		c.Node = "n2"
		l2 := mustAcquire(t, open(t, addr, "reserved", withIdentity("10.0.0.2:7070")), c)
		if l1.WorkerID() != 1 || l2.WorkerID() != 4 {
			t.Fatalf("WorkerIds %d and %d, want 1 and 4 (2 and 3 reserved)", l1.WorkerID(), l2.WorkerID())
		}
	})

	t.Run("RestartKeepsWorkerIDAndW", func(t *testing.T) {
		ctx := testCtx(t)
		b := open(t, addr, "restart", withIdentity("10.0.0.1:7070"))
		open(t, addr, "restart", withIdentity("10.0.0.9:7070")) // another identity first
		l := mustAcquire(t, b, claimFor("n1", 1023))
		w := time.Now().Add(3 * time.Second)
		if err := l.Reserve(ctx, w); err != nil {
			t.Fatal(err)
		}
		if err := l.Release(ctx, w); err != nil {
			t.Fatal(err)
		}
		again := mustAcquire(t, open(t, addr, "restart", withIdentity("10.0.0.1:7070")), claimFor("n1", 1023))
		if again.WorkerID() != l.WorkerID() || again.HighWater().UnixMilli() != ceilMilli(w) {
			t.Fatalf("restart got WorkerId %d W %v, want %d and %v", again.WorkerID(), again.HighWater(), l.WorkerID(), w)
		}
	})

	t.Run("SecondProcessRefused", func(t *testing.T) {
		a := open(t, addr, "twice", withIdentity("10.0.0.1:7070"))
		l := mustAcquire(t, a, claimFor("n1", 1023))
		// The same identity under another node name: the WorkerID is live.
		_, err := open(t, addr, "twice", withIdentity("10.0.0.1:7070")).Acquire(testCtx(t), claimFor("n2", 1023))
		wantErr(t, err, coord.ErrNodeLive)
		if !strings.Contains(err.Error(), "same ip:port") {
			t.Fatalf("error %q does not say why", err)
		}
		// The same node name under another identity: the node is live.
		_, err = open(t, addr, "twice", withIdentity("10.0.0.2:7070")).Acquire(testCtx(t), claimFor("n1", 1023))
		wantErr(t, err, coord.ErrNodeLive)
		// And a second claim in the same process, as a node that wants a
		// fresh WorkerId makes: the identity has no other.
		_, err = a.Acquire(testCtx(t), claimFor("n1", 1023))
		wantErr(t, err, coord.ErrNoFreeWorker)
		if l.Err() != nil {
			t.Fatalf("the refused attempts hurt the holder: %v", l.Err())
		}
	})

	t.Run("Exhaustion", func(t *testing.T) {
		for i, id := range []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"} {
			l := mustAcquire(t, open(t, addr, "full", withIdentity(id)), claimFor("n", 3))
			if l.WorkerID() != int64(i+1) {
				t.Fatalf("identity %s got %d", id, l.WorkerID())
			}
			if err := l.Release(testCtx(t), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		_, err := open(t, addr, "full", withIdentity("10.0.0.4:1")).Acquire(testCtx(t), claimFor("n", 3))
		wantErr(t, err, coord.ErrNoFreeWorker)
		for _, part := range []string{"10.0.0.4:1", "sequence number would be 4", "largest WorkerId 3", "never reuses", "stable", "zk.mode: ephemeral"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("exhaustion error %q does not mention %q", err, part)
			}
		}
		// A known identity still gets its WorkerID.
		l := mustAcquire(t, open(t, addr, "full", withIdentity("10.0.0.2:1")), claimFor("n", 3))
		if l.WorkerID() != 2 {
			t.Fatalf("known identity got %d, want 2", l.WorkerID())
		}
	})

	t.Run("NodeNameIsTheDefaultIdentity", func(t *testing.T) {
		b := open(t, addr, "names", nil)
		l1 := mustAcquire(t, b, claimFor("web-0", 1023))
		l2 := mustAcquire(t, b, claimFor("web-1", 1023))
		if l1.WorkerID() == l2.WorkerID() {
			t.Fatalf("two node names share WorkerId %d", l1.WorkerID())
		}
		if err := l1.Release(testCtx(t), time.Now()); err != nil {
			t.Fatal(err)
		}
		again := mustAcquire(t, open(t, addr, "names", nil), claimFor("web-0", 1023))
		if again.WorkerID() != l1.WorkerID() {
			t.Fatalf("web-0 came back with %d, want %d", again.WorkerID(), l1.WorkerID())
		}
	})

	t.Run("ForeignWriteFences", func(t *testing.T) {
		ctx := testCtx(t)
		b := open(t, addr, "foreign", withIdentity("10.0.0.1:7070"))
		l := mustAcquire(t, b, claimFor("n1", 1023))
		p := b.p.foreverPrefix("10.0.0.1:7070") + "0000000001"
		// Another writer (a Leaf process with the same ip:port) moves the
		// version.
		if _, err := raw(t, addr).Set(p, []byte(leafJSON("10.0.0.1", "7070", time.Now().UnixMilli())), -1); err != nil {
			t.Fatal(err)
		}
		err := l.Reserve(ctx, time.Now().Add(3*time.Second))
		wantErr(t, err, coord.ErrFenced)
		select {
		case <-l.Done():
		default:
			t.Fatal("a fenced lease is not Done")
		}
		if l.Deadline().After(time.Now()) {
			t.Fatalf("a fenced lease's deadline %v is ahead", l.Deadline())
		}
		// Release still frees the ephemeral claim, so the node can start over.
		if err := l.Release(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		mustAcquire(t, b, claimFor("n1", 1023))
	})

	t.Run("ListAndDeleteForever", func(t *testing.T) {
		ctx := testCtx(t)
		live := open(t, addr, "gc", withIdentity("10.0.0.1:7070"))
		mustAcquire(t, live, claimFor("alive", 1023))
		gone := mustAcquire(t, open(t, addr, "gc", withIdentity("10.0.0.2:7070")), claimFor("gone", 1023))
		if err := gone.Release(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		ops := open(t, addr, "gc", nil)
		nodes, err := ops.ListForever(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 2 || nodes[0].Identity != "10.0.0.1:7070" || !nodes[0].Live || nodes[0].Holder != "alive" ||
			nodes[1].Identity != "10.0.0.2:7070" || nodes[1].Live || nodes[1].WorkerID != 2 {
			t.Fatalf("ListForever = %+v", nodes)
		}
		if age := time.Since(nodes[1].Modified); age < 0 || age > time.Minute {
			t.Fatalf("Modified %v is not the server's recent mtime", nodes[1].Modified)
		}
		wantErr(t, ops.DeleteForever(ctx, nodes[0].Path), coord.ErrNodeLive)
		wantErr(t, ops.DeleteForever(ctx, ops.p.forever+"/idcoord.reserved-0000000000"), ErrNotForever)
		wantErr(t, ops.DeleteForever(ctx, "/idcoord/gc/hw/1"), ErrNotForever)
		if err := ops.DeleteForever(ctx, nodes[1].Path); err != nil {
			t.Fatal(err)
		}
		if err := ops.DeleteForever(ctx, nodes[1].Path); err != nil {
			t.Fatalf("deleting again: %v", err)
		}
		// The identity comes back with a new, higher WorkerID: numbers are
		// never reused.
		back := mustAcquire(t, open(t, addr, "gc", withIdentity("10.0.0.2:7070")), claimFor("gone", 1023))
		if back.WorkerID() != 3 {
			t.Fatalf("re-registered identity got %d, want 3", back.WorkerID())
		}
	})
}

// createLeafTree builds /snowflake/<leaf>/forever the way Leaf's
// SnowflakeZookeeperHolder does: Curator's creatingParentsIfNeeded makes
// plain persistent parents, and every node is persistent-sequential with
// Jackson's JSON. It returns the created paths.
func createLeafTree(t *testing.T, conn *gozk.Conn, leaf string, endpoints []endpoint) []string {
	t.Helper()
	acl := gozk.WorldACL(gozk.PermAll)
	for _, p := range []string{"/snowflake", "/snowflake/" + leaf, "/snowflake/" + leaf + "/forever"} {
		if _, err := conn.Create(p, nil, gozk.FlagPersistent, acl); err != nil && !errors.Is(err, gozk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, e := range endpoints {
		p, err := conn.Create("/snowflake/"+leaf+"/forever/"+e.IP+":"+e.Port+"-",
			[]byte(leafJSON(e.IP, e.Port, e.Timestamp)), gozk.FlagSequence, acl)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}
