package etcd_test

import (
	"testing"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestClaimStickyIsNotReadAgain: a claim that carries the sticky WorkerId
// (Claim.Sticky, from a clock report the node read already) is not read
// again from leaf_forever/<node>, whose report here names another one; a
// claim without it reads the report.
func TestClaimStickyIsNotReadAgain(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	ctx := testproc.Context(t)
	cluster := clusterOf(t)
	if _, err := rawClient(t, srv.Endpoints()).Put(ctx, etcd.Prefix(cluster)+"leaf_forever/n",
		`{"timestamp": 1, "worker_id": 5, "admin": ""}`); err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, srv.Endpoints(), cluster)
	for _, tc := range []struct {
		sticky, want int64
	}{
		{sticky: 9, want: 9},
		{sticky: 0, want: 5}, // not read yet: the backend reads the report
	} {
		l, err := b.Acquire(ctx, coord.Claim{Node: "n", MaxWorkerID: 15, Reserved: []int64{0}, Sticky: tc.sticky})
		if err != nil {
			t.Fatal(err)
		}
		if l.WorkerID() != tc.want {
			t.Errorf("Sticky %d: claimed WorkerId %d, want %d", tc.sticky, l.WorkerID(), tc.want)
		}
		if err := l.Release(ctx, l.HighWater()); err != nil {
			t.Fatal(err)
		}
	}
}
