package etcd_test

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestReleasedAfterListingIsFound: of WorkerIds 1..3, the listing shows 1
// and 2 held; before the claim, 2 is released and 3 taken. The claim of 3
// fails and reads only what was created since the listing, which alone
// would show all three held; the key count tells the listing lost one, so
// the search lists again and finds 2 instead of reporting exhaustion.
func TestReleasedAfterListingIsFound(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	ctx := testproc.Context(t)
	cluster := clusterOf(t)
	cli := rawClient(t, srv.Endpoints())
	holders, err := cli.Grant(ctx, 600)
	if err != nil {
		t.Fatal(err)
	}
	put := func(wid string) {
		t.Helper()
		if _, err := cli.Put(ctx, etcd.Prefix(cluster)+"workers/"+wid, `{"node": "other"}`, clientv3.WithLease(holders.ID)); err != nil {
			t.Fatal(err)
		}
	}
	put("1")
	put("2")
	etcd.AfterListing(t, func() {
		if _, err := cli.Delete(context.Background(), etcd.Prefix(cluster)+"workers/2"); err != nil {
			t.Error(err)
		}
		put("3")
	})
	b := newBackend(t, srv.Endpoints(), cluster)
	l, err := b.Acquire(ctx, coord.Claim{Node: "late", MaxWorkerID: 3, Reserved: []int64{0}})
	if err != nil {
		t.Fatalf("Acquire = %v; WorkerId 2 was free", err)
	}
	if l.WorkerID() != 2 {
		t.Fatalf("claimed WorkerId %d, want 2", l.WorkerID())
	}
}
