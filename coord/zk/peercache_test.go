package zkcoord

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// TestCachedPeers lists 100 peers through the cache: the first call reads
// every record, later ones list the directory and read at most peerRefresh
// records plus those of new names; joins and leaves show at the next call,
// a rewritten record (a node that moved to another WorkerId) within
// N/peerRefresh calls, and the list then equals the full read of Peers.
func TestCachedPeers(t *testing.T) {
	zk := startZK(t)
	ctx := testCtx(t)
	b := open(t, zk.Addr(), "peercache", nil)
	if err := b.ensureTree(ctx); err != nil {
		t.Fatal(err)
	}
	conn := raw(t, zk.Addr()) // its session owns the peer records
	record := func(node string, wid int64) []byte {
		return encode(coord.Peer{Node: node, Admin: "127.0.0.1:7070", WorkerID: wid})
	}
	join := func(node string, wid int64) {
		t.Helper()
		if _, err := conn.Create(b.p.peer(node), record(node, wid), gozk.FlagEphemeral, gozk.WorldACL(gozk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		join(fmt.Sprintf("p%03d", i), int64(i+1))
	}
	// list calls CachedPeers and returns the peers by name and the requests
	// the call sent.
	list := func() (map[string]coord.Peer, int64) {
		t.Helper()
		var n atomic.Int64
		peers, err := b.CachedPeers(withOpCount(ctx, &n))
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]coord.Peer{}
		for _, p := range peers {
			byName[p.Node] = p
		}
		if len(byName) != len(peers) || !slices.IsSortedFunc(peers, func(x, y coord.Peer) int { return strings.Compare(x.Node, y.Node) }) {
			t.Fatalf("CachedPeers not sorted by distinct names: %v", peers)
		}
		return byName, n.Load()
	}

	peers, ops := list()
	if len(peers) != 100 || ops != 1+100 {
		t.Fatalf("first call: %d peers in %d requests, want 100 in 101", len(peers), ops)
	}
	if _, ops = list(); ops != 1+peerRefresh {
		t.Fatalf("second call: %d requests, want %d", ops, 1+peerRefresh)
	}

	for i := 100; i < 105; i++ {
		join(fmt.Sprintf("p%03d", i), int64(i+1))
	}
	for _, gone := range []string{"p000", "p050", "p099"} {
		if err := conn.Delete(b.p.peer(gone), -1); err != nil {
			t.Fatal(err)
		}
	}
	peers, ops = list()
	if ops != 1+5+peerRefresh {
		t.Errorf("after 5 joins: %d requests, want %d", ops, 1+5+peerRefresh)
	}
	if len(peers) != 102 || peers["p104"].WorkerID != 105 {
		t.Fatalf("after 5 joins and 3 leaves: %d peers (want 102), p104 = %+v", len(peers), peers["p104"])
	}
	for _, gone := range []string{"p000", "p050", "p099"} {
		if _, ok := peers[gone]; ok {
			t.Errorf("%s left but is still listed", gone)
		}
	}

	if _, err := conn.Set(b.p.peer("p020"), record("p020", 900), -1); err != nil {
		t.Fatal(err)
	}
	calls := (102+peerRefresh-1)/peerRefresh + 1
	for i := 1; ; i++ {
		peers, ops = list()
		if ops > 1+peerRefresh {
			t.Fatalf("call %d: %d requests, want at most %d", i, ops, 1+peerRefresh)
		}
		if peers["p020"].WorkerID == 900 {
			t.Logf("the moved node showed at call %d", i)
			break
		}
		if i == calls {
			t.Fatalf("the moved node p020 still shows WorkerId %d after %d calls", peers["p020"].WorkerID, calls)
		}
	}

	full, err := b.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < calls; i++ {
		peers, _ = list()
	}
	if len(full) != len(peers) {
		t.Fatalf("Peers lists %d, CachedPeers %d", len(full), len(peers))
	}
	for _, p := range full {
		if peers[p.Node] != p {
			t.Errorf("Peers has %+v, CachedPeers %+v", p, peers[p.Node])
		}
	}
}
