package etcd_test

import (
	"errors"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestRestoredStoreFencesTheForgottenHolder restores etcd to a backup taken
// before holder A claimed its WorkerId; B then claims the same WorkerId
// under a create revision that can equal A's. A must not write W over B's
// claim: its lease is unknown to the restored store, and the store's
// revision went back, so A's next write fences it at once.
func TestRestoredStoreFencesTheForgottenHolder(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	cluster := clusterOf(t)
	ctx := testproc.Context(t)
	backup := testproc.Backup(t, srv)

	// A 60s TTL: A's keepalives are 20s apart, so only its writes can find
	// out about the restore within this test.
	a := newBackendTTL(t, srv.Endpoints(), cluster, 60*time.Second)
	defer a.Close()
	claim := coord.Claim{Node: "a", MaxWorkerID: 1, Reserved: []int64{0}}
	la, err := a.Acquire(ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	if err := la.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}

	testproc.Restore(t, srv, backup)
	b := newBackendTTL(t, srv.Endpoints(), cluster, 60*time.Second)
	defer b.Close()
	lb, err := b.Acquire(ctx, coord.Claim{Node: "b", MaxWorkerID: 1, Reserved: []int64{0}})
	if err != nil {
		t.Fatalf("B's claim after the restore: %v", err)
	}
	if lb.WorkerID() != la.WorkerID() {
		t.Fatalf("B took WorkerId %d, A holds %d: the test needs them equal", lb.WorkerID(), la.WorkerID())
	}

	// A reaches the store again and tries to raise W over B's claim.
	err = la.Reserve(ctx, time.Now().Add(4*time.Second))
	if !errors.Is(err, coord.ErrFenced) {
		t.Fatalf("A's Reserve after the restore = %v, want ErrFenced", err)
	}
	select {
	case <-la.Done():
	default:
		t.Fatal("A is not Done after its write was refused")
	}
	t.Logf("A: %v", la.Err())
	if err := lb.Reserve(ctx, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("B, the holder the store knows, cannot raise W: %v", err)
	}
}
