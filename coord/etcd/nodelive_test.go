package etcd_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
)

func claimFor(node string) coord.Claim {
	return coord.Claim{Node: node, Admin: "127.0.0.1:7070", MaxWorkerID: 15, Reserved: []int64{0}}
}

// TestNodeLiveErrorNamesHolder checks what a refused node name tells a
// restarting node and the operator: the lease that holds it, how long a dead
// holder could keep it, and the fix.
func TestNodeLiveErrorNamesHolder(t *testing.T) {
	endpoints := etcdtest.StartEmbedded(t).Endpoints()
	ctx := context.Background()
	live, err := newBackend(t, endpoints, clusterOf(t)).Acquire(ctx, claimFor("web-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Release(ctx, live.HighWater()) //nolint:errcheck
	other := newBackend(t, endpoints, clusterOf(t))
	defer other.Close()
	_, err = other.Acquire(ctx, claimFor("web-1"))
	var nl *coord.NodeLiveError
	if !errors.As(err, &nl) || !errors.Is(err, coord.ErrNodeLive) {
		t.Fatalf("Acquire of a live name = %v, want a NodeLiveError", err)
	}
	if nl.Node != "web-1" || nl.Holder == "" || nl.Within != 3*time.Second {
		t.Fatalf("NodeLiveError %+v: want node web-1, a holder, and the 3s TTL", nl)
	}
	for _, want := range []string{"web-1", nl.Holder, "--node.name", "leaf_temporary/web-1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

// TestFreshWorkerIDWhileHolding takes a second WorkerId under the same name
// from the same Backend, as a node recovering from a clock rollback does
// before it gives its old one back: that is not a second process, and the
// peer record moves to the new lease.
func TestFreshWorkerIDWhileHolding(t *testing.T) {
	b := newBackend(t, etcdtest.StartEmbedded(t).Endpoints(), clusterOf(t))
	defer b.Close()
	ctx := context.Background()
	old, err := b.Acquire(ctx, claimFor("api"))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := b.Acquire(ctx, claimFor("api"))
	if err != nil {
		t.Fatalf("fresh WorkerId while holding one: %v", err)
	}
	defer fresh.Release(ctx, fresh.HighWater()) //nolint:errcheck
	if fresh.WorkerID() == old.WorkerID() {
		t.Fatalf("both holdings have WorkerId %d", old.WorkerID())
	}
	if err := old.Release(ctx, old.HighWater()); err != nil {
		t.Fatal(err)
	}
	peers, err := b.Peers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || peers[0].Node != "api" || peers[0].WorkerID != fresh.WorkerID() {
		t.Fatalf("peers after the old holding was released = %+v, want api on WorkerId %d", peers, fresh.WorkerID())
	}
}

// TestReleaseWithStoreGone releases while the store does not answer: the
// release gives up when ctx ends and says, as a NotReleasedError, that the
// WorkerId frees itself within the lease's time.
func TestReleaseWithStoreGone(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	proxy := faultproxy.NewWith(t, srv.ClientAddr(), faultproxy.Options{Seed: 1})
	b := newBackend(t, []string{proxy.Addr()}, clusterOf(t))
	defer b.Close()
	l, err := b.Acquire(context.Background(), claimFor("cut-off"))
	if err != nil {
		t.Fatal(err)
	}
	proxy.Block()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = l.Release(ctx, l.HighWater())
	var nr *coord.NotReleasedError
	if !errors.As(err, &nr) || !errors.Is(err, coord.ErrUnreachable) {
		t.Fatalf("Release with the store gone = %v, want a NotReleasedError wrapping ErrUnreachable", err)
	}
	if nr.WorkerID != l.WorkerID() || nr.Within <= 0 || nr.Within > 3*time.Second {
		t.Fatalf("NotReleasedError %+v: want WorkerId %d, within (0, 3s]", nr, l.WorkerID())
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("error of more than one line: %q", err)
	}
	t.Logf("release with the store gone: %v", err)
	proxy.Unblock()
}
