package idcoord_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// startNamed starts a node with a 2s lease and a start timeout far longer
// than the lease, and returns its backend too, so a test can crash it.
func startNamed(t *testing.T, endpoint, cluster, name string) (*idcoord.Node, *etcd.Backend, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	log := coordtest.Logger(t, zap.InfoLevel).Named(name)
	b, err := etcd.New(ctx, etcd.Config{Endpoints: []string{endpoint}, Cluster: cluster, TTL: 2 * time.Second,
		FenceMargin: 500 * time.Millisecond, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: name, Admin: "127.0.0.1:1", Layout: scarce,
		Logger: log, StartTimeout: 60 * time.Second})
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.Close(ctx) //nolint:errcheck // a crashed node's release fails
	})
	return n, b, nil
}

// TestStartRefusesLiveNodeName starts a second node under the name of a
// live one. It waits as long as a crashed predecessor's lease could last,
// then refuses, long before its start timeout; the live node serves on.
func TestStartRefusesLiveNodeName(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	live, _, err := startNamed(t, srv.Endpoints()[0], clusterOf(t), "web-0")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = startNamed(t, srv.Endpoints()[0], clusterOf(t), "web-0")
	var nl *coord.NodeLiveError
	if !errors.As(err, &nl) {
		t.Fatalf("second node named web-0 = %v, want a NodeLiveError", err)
	}
	if !strings.Contains(err.Error(), "refusing to start") || strings.Contains(err.Error(), "gave up") {
		t.Fatalf("refusal %q: want it once the holder outlived its lease, not at the start timeout", err)
	}
	t.Logf("refusal: %v", err)
	if _, err := live.NextID(context.Background()); err != nil {
		t.Fatalf("the live node stopped serving: %v", err)
	}
}

// TestStartAfterCrashedPredecessor crashes a node (its client goes, its
// lease is left to expire) and restarts it under the same name: the
// restart waits for the lease to expire, takes the same WorkerId, and
// issues above everything the crashed node issued.
func TestStartAfterCrashedPredecessor(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	crashed, backend, err := startNamed(t, srv.Endpoints()[0], clusterOf(t), "api-0")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := crashed.NextIDs(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	wid := crashed.Status().WorkerID
	backend.Close() // the crash: no release, no more keepalives
	again, _, err := startNamed(t, srv.Endpoints()[0], clusterOf(t), "api-0")
	if err != nil {
		t.Fatalf("restart after a crash: %v", err)
	}
	if got := again.Status().WorkerID; got != wid {
		t.Fatalf("restart took WorkerId %d, want the crashed node's %d", got, wid)
	}
	id, err := again.NextID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id <= ids[len(ids)-1] {
		t.Fatalf("restart issued %d, not above the crashed node's last %d", id, ids[len(ids)-1])
	}
}
