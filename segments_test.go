package idcoord_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// createTag creates tag in cluster, as `idcoord segment create` does.
func createTag(t *testing.T, endpoint, cluster, tag string, step int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := etcd.New(ctx, etcd.Config{Endpoints: []string{endpoint}, Cluster: cluster, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := coord.CreateSegment(ctx, b, tag, 1, step, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestSegmentIDsFromNodes: two nodes of one cluster draw segment IDs of one
// tag at once; none repeats, each caller's IDs increase, and the node's
// Status shows the tag's buffers.
func TestSegmentIDsFromNodes(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	ep, cluster := srv.Endpoints()[0], clusterOf(t)
	createTag(t, ep, cluster, "orders", 100)
	nodes := []*idcoord.Node{
		mustStart(t, nodeOpts{endpoint: ep, cluster: cluster, name: "a", layout: snowflake.Twitter()}),
		mustStart(t, nodeOpts{endpoint: ep, cluster: cluster, name: "b", layout: snowflake.Twitter()}),
	}
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for _, n := range nodes {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var last int64
				for i := range 300 {
					ids, err := n.AppendSegmentIDs(ctx, "orders", nil, 1+i%7)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, id := range ids {
						if seen[id] {
							t.Errorf("segment ID %d handed out twice", id)
						}
						seen[id] = true
						if id <= last {
							t.Errorf("segment ID %d after %d from one caller", id, last)
						}
						last = id
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(seen) == 0 {
		t.Fatal("no IDs drawn")
	}
	st := nodes[0].Status()
	if len(st.Segments) != 1 || st.Segments[0].Tag != "orders" || st.Segments[0].IDsServed == 0 {
		t.Fatalf("Status().Segments = %+v, want the tag orders with IDs served", st.Segments)
	}
	if _, err := nodes[0].NextSegmentID(ctx, "nope"); !errors.Is(err, coord.ErrNoSegment) {
		t.Fatalf("an unknown tag: %v, want coord.ErrNoSegment", err)
	}
	if _, err := nodes[0].NextSegmentID(ctx, "bad tag"); !errors.Is(err, coord.ErrBadTag) {
		t.Fatalf("a bad tag: %v, want coord.ErrBadTag", err)
	}
}

// TestSegmentIDsWhileNotReady: with the store gone, a node is not ready for
// Snowflake IDs but keeps serving the segment it has loaded, then answers
// segment.ErrUnavailable in bounded time, and serves again once the store
// is back.
func TestSegmentIDsWhileNotReady(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	ep, cluster := srv.Endpoints()[0], clusterOf(t)
	createTag(t, ep, cluster, "orders", 100000)
	n := mustStart(t, nodeOpts{endpoint: ep, cluster: cluster, name: "a", layout: snowflake.Twitter()})
	ctx := context.Background()
	last, err := n.NextSegmentID(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	testproc.Eventually(t, "the node not ready without its store", func() bool { return n.Ready() != nil })
	served := 0
	for {
		began := time.Now()
		ids, err := n.AppendSegmentIDs(ctx, "orders", nil, 1000)
		if took := time.Since(began); took > 10*time.Second {
			t.Fatalf("a segment request took %s with the store down", took)
		}
		if errors.Is(err, segment.ErrUnavailable) {
			break
		}
		if err != nil {
			t.Fatalf("with the store down: %v, want IDs or segment.ErrUnavailable", err)
		}
		if ids[0] <= last {
			t.Fatalf("ID %d after %d", ids[0], last)
		}
		last = ids[len(ids)-1]
		served += len(ids)
	}
	if served == 0 {
		t.Fatal("no segment IDs served from the loaded segment while the store was down")
	}
	t.Logf("served %d segment IDs while not ready, then unavailable", served)
	srv.Restart(t)
	testproc.Eventually(t, "segment IDs once the store is back", func() bool {
		id, err := n.NextSegmentID(ctx, "orders")
		if err == nil && id <= last {
			t.Fatalf("ID %d after %d", id, last)
		}
		return err == nil
	})
}
