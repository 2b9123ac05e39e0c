package etcd_test

import (
	"context"
	"fmt"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// TestSamplePeers: with 150 live peers, each sample is one transaction of at
// most k distinct live nodes, never this node and never a holder record
// under no lease, with the count of the others; over many samples the draw
// reaches nearly every peer. Before the Backend knows the cluster's range, it
// draws from a listing.
func TestSamplePeers(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	cli := rawClient(t, srv.Endpoints())
	ctx := context.Background()
	cluster := clusterOf(t)
	prefix := etcd.Prefix(cluster)

	grant, err := cli.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	const peers, maxWID = 150, 1023 // more than a listing-sized cluster (maxTxnReads)
	for i := range peers {
		node, wid := fmt.Sprintf("p%03d", i), int64(i*6+3)
		holder := fmt.Sprintf(`{"node": %q, "admin": "127.0.0.1:%d"}`, node, 1000+i)
		peer := fmt.Sprintf(`{"node": %q, "admin": "127.0.0.1:%d", "worker_id": %d}`, node, 1000+i, wid)
		if _, err := cli.Txn(ctx).Then(
			clientv3.OpPut(fmt.Sprintf("%sworkers/%d", prefix, wid), holder, clientv3.WithLease(grant.ID)),
			clientv3.OpPut(prefix+"leaf_temporary/"+node, peer, clientv3.WithLease(grant.ID)),
		).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// A holder record under no lease is nobody's to ask.
	if _, err := cli.Put(ctx, prefix+"workers/1001", `{"node": "stuck", "admin": "127.0.0.1:9"}`); err != nil {
		t.Fatal(err)
	}

	fresh := newBackend(t, srv.Endpoints(), cluster)
	sample, others, err := fresh.SamplePeers(ctx, 12, "p000")
	if err != nil || len(sample) != 12 || others != peers-1 {
		t.Fatalf("before the range is known: %d peers, %d others, %v; want 12 and %d", len(sample), others, err, peers-1)
	}

	b := newBackend(t, srv.Endpoints(), cluster)
	l, err := b.Acquire(ctx, coord.Claim{Node: "self", Admin: "127.0.0.1:1", MaxWorkerID: maxWID, Sticky: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx, l.HighWater())
	drawn := map[string]int{}
	const calls = 300
	for range calls {
		before := etcd.PeerReads(b)
		sample, others, err := b.SamplePeers(ctx, 12, "self")
		if err != nil {
			t.Fatal(err)
		}
		if reads := etcd.PeerReads(b) - before; reads != 1 {
			t.Fatalf("one sample cost %d reads, want one transaction", reads)
		}
		if others != peers {
			t.Fatalf("others = %d, want %d", others, peers)
		}
		if len(sample) < 10 || len(sample) > 12 {
			t.Fatalf("sample of %d peers, want 10 to 12 of 12 asked from %d", len(sample), peers)
		}
		seen := map[string]bool{}
		for _, p := range sample {
			if p.Node == "self" || p.Node == "stuck" || seen[p.Node] || p.Admin == "" || p.WorkerID%6 != 3 {
				t.Fatalf("bad sample %+v", sample)
			}
			seen[p.Node] = true
			drawn[p.Node]++
		}
	}
	least, most := calls, 0
	for _, n := range drawn {
		least, most = min(least, n), max(most, n)
	}
	t.Logf("%d samples: %d of %d peers drawn, %d to %d times each (uniform: %d)", calls, len(drawn), peers, least, most, calls*12/peers)
	if len(drawn) < peers*9/10 {
		t.Fatalf("%d samples reached only %d of %d peers", calls, len(drawn), peers)
	}
}
