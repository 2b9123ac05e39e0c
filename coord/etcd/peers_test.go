package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// putPeer writes leaf_temporary/<node> as a node's claim does, under lease
// (clientv3.NoLease: none).
func putPeer(t *testing.T, cli *clientv3.Client, cluster, node string, lease clientv3.LeaseID) {
	t.Helper()
	value := fmt.Sprintf(`{"node": %q, "admin": "127.0.0.1:1", "worker_id": 1}`, node)
	if _, err := cli.Put(context.Background(), etcd.Prefix(cluster)+"leaf_temporary/"+node, value,
		clientv3.WithLease(lease)); err != nil {
		t.Fatal(err)
	}
}

func deletePeer(t *testing.T, cli *clientv3.Client, cluster, node string) {
	t.Helper()
	if _, err := cli.Delete(context.Background(), etcd.Prefix(cluster)+"leaf_temporary/"+node); err != nil {
		t.Fatal(err)
	}
}

func nodesOf(peers []coord.Peer) []string {
	nodes := make([]string, 0, len(peers))
	for _, p := range peers {
		nodes = append(nodes, p.Node)
	}
	return nodes
}

// copyIs reports whether the copy behind CachedPeers is in step and lists
// exactly nodes, in order.
func copyIs(b *etcd.Backend, nodes ...string) bool {
	peers, ok := etcd.PeerCopy(b)
	return ok && slices.Equal(nodesOf(peers), nodes)
}

// TestCachedPeersFollowsTheStore: fifty calls read the peer records once;
// after that the copy follows the store through its watch alone: a node
// that joins (by hand, or by claiming a WorkerId), one deleted, and one
// whose lease expires.
func TestCachedPeersFollowsTheStore(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	ctx := testproc.Context(t)
	cluster := clusterOf(t)
	cli := rawClient(t, srv.Endpoints())
	for _, node := range []string{"a", "b", "c"} {
		putPeer(t, cli, cluster, node, clientv3.NoLease)
	}
	b := newBackend(t, srv.Endpoints(), cluster)
	for i := range 50 {
		peers, err := b.CachedPeers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := nodesOf(peers); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("call %d: CachedPeers = %v, want [a b c]", i, got)
		}
	}
	if n := etcd.PeerReads(b); n != 1 {
		t.Fatalf("50 calls read the peer records %d times, want 1", n)
	}

	putPeer(t, cli, cluster, "d", clientv3.NoLease)
	testproc.Eventually(t, "a peer that joins shows up in the copy", func() bool { return copyIs(b, "a", "b", "c", "d") })
	deletePeer(t, cli, cluster, "b")
	testproc.Eventually(t, "a peer that leaves goes from the copy", func() bool { return copyIs(b, "a", "c", "d") })

	l, err := b.Acquire(ctx, coord.Claim{Node: "e", MaxWorkerID: 15, Reserved: []int64{0}})
	if err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, "a node that claims a WorkerId shows up", func() bool { return copyIs(b, "a", "c", "d", "e") })
	if err := l.Release(ctx, l.HighWater()); err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, "a node that gives its WorkerId back goes", func() bool { return copyIs(b, "a", "c", "d") })

	short, err := cli.Grant(ctx, 2) // never kept alive: it expires by itself
	if err != nil {
		t.Fatal(err)
	}
	putPeer(t, cli, cluster, "f", short.ID)
	testproc.Eventually(t, "a peer under a short lease shows up", func() bool { return copyIs(b, "a", "c", "d", "f") })
	testproc.Eventually(t, "a peer whose lease expired goes", func() bool { return copyIs(b, "a", "c", "d") })

	if n := etcd.PeerReads(b); n != 1 {
		t.Errorf("the copy read the peer records %d times, want 1: the watch alone keeps it current", n)
	}
	peers, err := b.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := b.CachedPeers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(peers, cached) {
		t.Errorf("CachedPeers = %v, Peers = %v", cached, peers)
	}
}

// TestCachedPeersResyncAfterCompaction cuts the Backend off from etcd while
// a peer leaves and another joins, and compacts the history past the
// revision its watch is at. The resumed watch cannot replay what it missed:
// the copy goes out of step, is read again, and follows the store anew.
func TestCachedPeersResyncAfterCompaction(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	ctx := testproc.Context(t)
	cluster := clusterOf(t)
	cli := rawClient(t, srv.Endpoints())
	putPeer(t, cli, cluster, "a", clientv3.NoLease)
	putPeer(t, cli, cluster, "b", clientv3.NoLease)
	proxy := faultproxy.New(t, srv.ClientAddr())
	b := newBackend(t, []string{proxy.Addr()}, cluster)
	if _, err := b.CachedPeers(ctx); err != nil {
		t.Fatal(err)
	}
	if !copyIs(b, "a", "b") {
		t.Fatal("the copy is not in step after the first call")
	}

	proxy.Block()
	deletePeer(t, cli, cluster, "a")
	putPeer(t, cli, cluster, "c", clientv3.NoLease)
	resp, err := cli.Get(ctx, "compact-here")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	proxy.CloseAll() // what was held is lost: the watch must resume from its revision
	proxy.Unblock()

	testproc.Eventually(t, "the copy is read again after the compaction", func() bool { return copyIs(b, "b", "c") })
	if n := etcd.PeerReads(b); n < 2 {
		t.Errorf("PeerReads = %d: the copy came back in step without being read again", n)
	}
	putPeer(t, cli, cluster, "d", clientv3.NoLease)
	testproc.Eventually(t, "the new watch follows the store", func() bool { return copyIs(b, "b", "c", "d") })
}

// TestCachedPeersAfterClose: Close stops the watch (TestMain's goleak checks
// its goroutine is gone) and CachedPeers then refuses.
func TestCachedPeersAfterClose(t *testing.T) {
	b := newBackend(t, etcdtest.StartEmbedded(t).Endpoints(), clusterOf(t))
	ctx := testproc.Context(t)
	if _, err := b.CachedPeers(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CachedPeers(ctx); !errors.Is(err, coord.ErrClosed) {
		t.Fatalf("CachedPeers after Close = %v, want ErrClosed", err)
	}
}
