package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// clusterOf names a cluster after the (sub)test, so subtests do not see
// each other's WorkerIds.
func clusterOf(t testing.TB) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}

// newBackend opens a Backend with a 3s TTL, closed when the test ends.
func newBackend(t testing.TB, endpoints []string, cluster string) *etcd.Backend {
	t.Helper()
	return newBackendTTL(t, endpoints, cluster, 3*time.Second)
}

// newBackendTTL opens a Backend with the given TTL, closed when the test
// ends (a test may close it earlier: closing twice does nothing).
func newBackendTTL(t testing.TB, endpoints []string, cluster string, ttl time.Duration) *etcd.Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := etcd.New(ctx, etcd.Config{Endpoints: endpoints, Cluster: cluster, TTL: ttl,
		FenceMargin: 500 * time.Millisecond, Logger: coordtest.Logger(t, zap.WarnLevel).Named("backend")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func harness(endpoints []string) coordtest.Harness {
	return coordtest.Harness{
		New:         func(t *testing.T) coord.Backend { return newBackend(t, endpoints, clusterOf(t)) },
		MaxWorkerID: 15,
		Recycles:    true,
		Steal: func(t *testing.T, l coord.Lease) {
			cli := rawClient(t, endpoints)
			key := etcd.Prefix(clusterOf(t)) + fmt.Sprintf("workers/%d", l.WorkerID())
			if resp, err := cli.Delete(context.Background(), key); err != nil || resp.Deleted != 1 {
				t.Fatalf("deleting %s: %v (deleted %d)", key, err, resp.Deleted)
			}
		},
		WriteRaw: func(t *testing.T, key string, value []byte) {
			full := etcd.Prefix(clusterOf(t)) + key
			if _, err := rawClient(t, endpoints).Put(context.Background(), full, string(value)); err != nil {
				t.Fatalf("writing %s: %v", full, err)
			}
		},
	}
}

func rawClient(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestConformanceEmbedded(t *testing.T) {
	coordtest.Run(t, harness(etcdtest.StartEmbedded(t).Endpoints()))
}

func TestConformanceBinary(t *testing.T) {
	coordtest.Run(t, harness(etcdtest.StartBinary(t).Endpoints()))
}

// TestEveryWorkerIDOnce claims all 1023 WorkerIds of a 10-bit layout, many
// at once, and checks that the 1024th claim gets the clear exhaustion error.
func TestEveryWorkerIDOnce(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	// A long TTL: a thousand keepalive loops on one loaded test machine
	// must not let leases lapse before the count is taken.
	b := newBackendTTL(t, srv.Endpoints(), clusterOf(t), 30*time.Second)
	defer b.Close()
	ctx := testproc.Context(t)
	const n = 1023
	leases := make([]coord.Lease, n)
	errs := make([]error, n)
	// 64 claims in flight race for WorkerIds as hard as 1023 do, without
	// queueing a thousand proposals on one busy server.
	inFlight := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inFlight <- struct{}{}
			defer func() { <-inFlight }()
			leases[i], errs[i] = acquireRetrying(ctx, t, b, coord.Claim{Node: fmt.Sprintf("node-%d", i), Admin: "127.0.0.1:1",
				MaxWorkerID: 1023, Reserved: []int64{0}})
		}()
	}
	wg.Wait()
	held := make(map[int64]int, n)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		if prev, dup := held[leases[i].WorkerID()]; dup {
			t.Fatalf("WorkerId %d held by node %d and node %d", leases[i].WorkerID(), prev, i)
		}
		held[leases[i].WorkerID()] = i
	}
	_, err := b.Acquire(ctx, coord.Claim{Node: "one-too-many", MaxWorkerID: 1023, Reserved: []int64{0}})
	if !errors.Is(err, coord.ErrNoFreeWorker) {
		t.Fatalf("claim 1024 = %v, want ErrNoFreeWorker", err)
	}
	for _, want := range []string{clusterOf(t), "1..1023", "1023 held"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("exhaustion error %q does not name %q", err, want)
		}
	}
	for _, l := range leases {
		if err := l.Release(ctx, l.HighWater()); err != nil {
			t.Fatal(err)
		}
	}
}

// acquireRetrying acquires as a starting node does: a store fault (etcd's
// "request timed out" on a busy server) is retried. A claim whose answer
// was lost may still have committed; Acquire revokes its lease, and until
// that lands the WorkerId looks held, so exhaustion is retried too while
// the test has time. It gives up when ctx is done.
func acquireRetrying(ctx context.Context, t *testing.T, b *etcd.Backend, c coord.Claim) (coord.Lease, error) {
	for {
		l, err := b.Acquire(ctx, c)
		if err == nil || !(errors.Is(err, coord.ErrUnreachable) || errors.Is(err, coord.ErrNoFreeWorker)) {
			return l, err
		}
		t.Logf("%s: %v; retrying", c.Node, err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestRevocationFencesAtOnce revokes a holder's lease with a plain client;
// the holder must see it at once, not at its next keepalive. With a 60s TTL
// the keepalives are 20s apart, so a holder that sees the revoke within 10s
// (generous on a busy machine) learnt it from its watch.
func TestRevocationFencesAtOnce(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	b := newBackendTTL(t, srv.Endpoints(), clusterOf(t), 60*time.Second)
	defer b.Close()
	ctx := context.Background()
	l, err := b.Acquire(ctx, coord.Claim{Node: "victim", MaxWorkerID: 7, Reserved: []int64{0}})
	if err != nil {
		t.Fatal(err)
	}
	cli := rawClient(t, srv.Endpoints())
	resp, err := cli.Get(ctx, etcd.Prefix(clusterOf(t))+fmt.Sprintf("workers/%d", l.WorkerID()))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("reading the holder record: %v", err)
	}
	revoked := time.Now()
	if _, err := cli.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
		t.Logf("holder fenced %s after the revoke", time.Since(revoked))
	case <-time.After(10 * time.Second):
		t.Fatal("holder still unaware of the revoke after 10s: it did not learn it from its watch")
	}
	if !errors.Is(l.Err(), coord.ErrFenced) || l.Deadline().After(time.Now()) {
		t.Fatalf("after revoke: Err %v, deadline %s", l.Err(), l.Deadline())
	}
}
