package zkcoord

import (
	"fmt"
	"sync/atomic"
	"testing"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// TestSamplePeers: with 100 live peers besides this node, a sample of 12 is
// 1 + 12 requests, 12 distinct peers, never this node, and the count of the
// others; over many samples every peer is drawn.
func TestSamplePeers(t *testing.T) {
	zk := startZK(t)
	ctx := testCtx(t)
	b := open(t, zk.Addr(), "peersample", nil)
	if err := b.ensureTree(ctx); err != nil {
		t.Fatal(err)
	}
	conn := raw(t, zk.Addr()) // its session owns the peer records
	for i := range 101 {
		node := fmt.Sprintf("p%03d", i)
		if i == 100 {
			node = "self"
		}
		data := encode(coord.Peer{Node: node, Admin: "127.0.0.1:7070", WorkerID: int64(i + 1)})
		if _, err := conn.Create(b.p.peer(node), data, gozk.FlagEphemeral, gozk.WorldACL(gozk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	drawn := map[string]bool{}
	for range 100 {
		var ops atomic.Int64
		sample, others, err := b.SamplePeers(withOpCount(ctx, &ops), 12, "self")
		if err != nil {
			t.Fatal(err)
		}
		if ops.Load() != 1+12 || others != 100 || len(sample) != 12 {
			t.Fatalf("sample of %d in %d requests with %d others; want 12 in 13 with 100", len(sample), ops.Load(), others)
		}
		seen := map[string]bool{}
		for _, p := range sample {
			if p.Node == "self" || seen[p.Node] {
				t.Fatalf("bad sample %+v", sample)
			}
			seen[p.Node], drawn[p.Node] = true, true
		}
	}
	if len(drawn) != 100 {
		t.Fatalf("100 samples of 12 drew %d of 100 peers", len(drawn))
	}
	// Fewer peers than asked: all of them.
	sample, others, err := b.SamplePeers(ctx, 500, "self")
	if err != nil || len(sample) != 100 || others != 100 {
		t.Fatalf("asking for 500: %d peers, %d others, %v; want all 100", len(sample), others, err)
	}
}
