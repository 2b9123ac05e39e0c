package idcoord_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// scarce is a layout with 2 worker bits: WorkerIds 1..3 (0 is reserved).
var scarce = func() snowflake.Layout {
	l := snowflake.Twitter()
	l.WorkerBits = 2
	return l
}()

type nodeOpts struct {
	endpoint string // etcd host:port, possibly a proxy
	cluster  string
	name     string
	layout   snowflake.Layout
	ttl      time.Duration
}

func startNode(t *testing.T, o nodeOpts) (*idcoord.Node, error) {
	t.Helper()
	if o.ttl == 0 {
		o.ttl = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log := coordtest.Logger(t, zap.InfoLevel).Named(o.name)
	b, err := etcd.New(ctx, etcd.Config{Endpoints: []string{o.endpoint}, Cluster: o.cluster, TTL: o.ttl,
		FenceMargin: 500 * time.Millisecond, Logger: log, DialTimeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	return idcoord.Start(ctx, idcoord.Config{Backend: b, Node: o.name, Admin: "127.0.0.1:1", Layout: o.layout,
		Logger: log, StartTimeout: 5 * time.Second})
}

func mustStart(t *testing.T, o nodeOpts) *idcoord.Node {
	t.Helper()
	n, err := startNode(t, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

func clusterOf(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "_") }

func TestNodeIssuesAndReleases(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	o := nodeOpts{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "web-0", layout: scarce}
	a := mustStart(t, o)
	ctx := context.Background()
	ids, err := a.NextIDs(ctx, 5000)
	if err != nil {
		t.Fatal(err)
	}
	st := a.Status()
	if !st.Ready || st.WorkerID != 1 || st.LeaseLeftSeconds <= 0 || !st.HighWater.After(time.Now()) {
		t.Fatalf("status of a fresh node: %+v", st)
	}
	last := ids[len(ids)-1]
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.NextID(ctx); !errors.Is(err, idcoord.ErrClosed) {
		t.Fatalf("NextID after Close = %v, want ErrClosed", err)
	}
	// Handover on close: another node takes WorkerId 1 at once (the only
	// one it prefers: its ordinal) and issues above the last ID.
	start := time.Now()
	b := mustStart(t, nodeOpts{endpoint: o.endpoint, cluster: o.cluster, name: "other-0", layout: scarce})
	id, err := b.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status().WorkerID != 1 {
		t.Fatalf("after a graceful close the next node got WorkerId %d, want 1", b.Status().WorkerID)
	}
	t.Logf("handover on close: first ID %s after start", time.Since(start))
	if p, _ := scarce.Decompose(id); p.Tick <= mustTick(t, last) {
		t.Fatalf("new holder's first tick %d is not after the old holder's last %d", p.Tick, mustTick(t, last))
	}
}

func mustTick(t *testing.T, id int64) int64 {
	p, err := scarce.Decompose(id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Tick
}

func TestRestartKeepsStickyWorkerID(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	o := nodeOpts{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "api", layout: snowflake.Twitter()}
	ctx := context.Background()
	first := mustStart(t, o)
	before, err := first.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wid := first.Status().WorkerID
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	again := mustStart(t, o)
	after, err := again.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Status().WorkerID; got != wid {
		t.Fatalf("restart got WorkerId %d, want the sticky %d", got, wid)
	}
	if after <= before {
		t.Fatalf("after restart id %d <= %d", after, before)
	}
}

// TestHandoverAfterExpiry blocks a holder's link to etcd. The holder must
// stop issuing before etcd expires its lease; the next holder of the same
// WorkerId issues only above everything the old one issued.
func TestHandoverAfterExpiry(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	proxy := faultproxy.New(t, srv.Endpoints()[0])
	cluster := clusterOf(t)
	one := snowflake.Twitter()
	one.WorkerBits = 1 // only WorkerId 1 is usable
	old := mustStart(t, nodeOpts{endpoint: proxy.Addr(), cluster: cluster, name: "old", layout: one})
	ctx := context.Background()

	watcher := rawWatch(t, srv.Endpoints(), etcd.Prefix(cluster)+"workers/1")
	var lastOld int64
	var stopped time.Time
	proxy.Block()
	blocked := time.Now()
	for {
		id, err := old.NextID(ctx)
		if err != nil {
			if !errors.Is(err, idcoord.ErrNotReady) {
				t.Fatal(err)
			}
			stopped = time.Now()
			break
		}
		lastOld = id
		time.Sleep(100 * time.Microsecond) // pace the loop; the clock is real
	}
	var expired time.Time
	select {
	case expired = <-watcher:
	case <-time.After(20 * time.Second):
		t.Fatal("etcd never expired the blocked holder's lease")
	}
	margin := expired.Sub(stopped)
	t.Logf("blocked at 0; holder stopped issuing at %s; etcd expired the lease at %s; margin %s",
		stopped.Sub(blocked).Round(time.Millisecond), expired.Sub(blocked).Round(time.Millisecond), margin.Round(time.Millisecond))
	if margin <= 0 {
		t.Fatalf("holder stopped %s after etcd expired its lease", -margin)
	}
	next := mustStart(t, nodeOpts{endpoint: srv.Endpoints()[0], cluster: cluster, name: "next", layout: one})
	first, err := next.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	po, _ := one.Decompose(lastOld)
	pn, _ := one.Decompose(first)
	if pn.WorkerID != po.WorkerID || pn.Tick <= po.Tick {
		t.Fatalf("new holder's first ID %+v is not above the old holder's last %+v", pn, po)
	}
	proxy.Unblock()
	if _, err := old.NextID(ctx); err == nil {
		t.Fatal("the old holder issued again while another node holds its WorkerId")
	}
}

// TestEtcdRestart: an etcd restart shorter than the reserved window does
// not interrupt service; a long outage makes the node not ready, and it
// recovers by itself.
func TestEtcdRestart(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	n := mustStart(t, nodeOpts{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "steady", layout: snowflake.Twitter(), ttl: 10 * time.Second})
	ctx := context.Background()
	// Let the window reach its full width: W a window ahead, less one
	// refresh period.
	testproc.Eventually(t, "W 2s ahead of the clock", func() bool {
		return n.Status().HighWaterAheadSeconds >= (idcoord.DefaultWindow - idcoord.DefaultRefreshEvery).Seconds()
	})
	drawer := startDrawing(n)
	stopped := time.Now()
	w := n.Status().HighWater
	srv.Stop()
	srv.Restart(t)
	// The outage, as the node saw it, ends with its first raise of W after
	// the restart.
	testproc.Eventually(t, "W raised after the restart", func() bool { return n.Status().HighWater.After(w) })
	outage := time.Since(stopped)
	failures, total, errs := drawer.stop()
	t.Logf("restart: the node's store was away %s; %d of %d draws failed", outage.Round(time.Millisecond), failures, total)
	for _, err := range errs {
		if !errors.Is(err, idcoord.ErrNotReady) {
			t.Fatalf("a draw during the restart failed with %v, want only ErrNotReady", err)
		}
	}
	// W is 2s to 3s ahead when the store goes; only an outage longer than
	// that (a busy machine restarts etcd slowly) may run the window out.
	if short := idcoord.DefaultWindow - idcoord.DefaultRefreshEvery; outage < short && failures > 0 {
		t.Fatalf("an etcd restart of %s, shorter than the %s the window covers, interrupted service: %d of %d draws failed",
			outage.Round(time.Millisecond), short, failures, total)
	}
	if total == 0 {
		t.Fatal("no draws were made during the restart")
	}

	srv.Stop()
	testproc.Eventually(t, "the node not ready in an etcd outage", func() bool { return n.Ready() != nil })
	if _, err := n.NextID(ctx); !errors.Is(err, idcoord.ErrNotReady) {
		t.Fatalf("NextID during the outage = %v, want ErrNotReady", err)
	}
	t.Logf("during the outage: %v", n.Ready())
	srv.Restart(t)
	testproc.Eventually(t, "the node ready again after the outage", func() bool { return n.Ready() == nil })
	if _, err := n.NextID(ctx); err != nil {
		t.Fatal(err)
	}
}

// drawer draws an ID every 5ms until stopped, keeping the failures.
type drawer struct {
	done     chan struct{}
	wg       sync.WaitGroup
	total    int
	failures []error
}

func startDrawing(n *idcoord.Node) *drawer {
	d := &drawer{done: make(chan struct{})}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			select {
			case <-d.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			d.total++
			if _, err := n.NextID(context.Background()); err != nil {
				d.failures = append(d.failures, err)
			}
		}
	}()
	return d
}

func (d *drawer) stop() (failures, total int, errs []error) {
	close(d.done)
	d.wg.Wait()
	return len(d.failures), d.total, d.failures
}

// TestNoDuplicatesWhileWorkerIDsChangeHands runs 8 nodes over 3 WorkerIds;
// links are cut at random so leases expire and WorkerIds move, while every
// node draws IDs. Not one ID may repeat.
func TestNoDuplicatesWhileWorkerIDsChangeHands(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 20s")
	}
	srv := etcdtest.StartBinary(t)
	cluster := clusterOf(t)
	const nodes = 8
	var (
		mu       sync.Mutex
		all      = map[int64]string{}
		dup      []string
		holdings = map[string]bool{} // node/WorkerId pairs seen
		started  [nodes]atomic.Pointer[idcoord.Node]
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	proxies := make([]*faultproxy.Proxy, nodes)
	for i := range nodes {
		proxies[i] = faultproxy.NewWith(t, srv.Endpoints()[0], faultproxy.Options{Seed: int64(i)})
	}
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("node-%d", i)
			var n *idcoord.Node
			for n == nil && ctx.Err() == nil { // 3 WorkerIds for 8 nodes: wait for one
				var err error
				if n, err = startNode(t, nodeOpts{endpoint: proxies[i].Addr(), cluster: cluster, name: name, layout: scarce, ttl: 2 * time.Second}); err != nil {
					time.Sleep(200 * time.Millisecond)
				}
			}
			if n == nil {
				return
			}
			started[i].Store(n)
			defer n.Close(context.Background())
			buf := make([]int64, 0, 100)
			for ctx.Err() == nil {
				ids, err := n.AppendIDs(ctx, buf[:0], 100)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				p, _ := scarce.Decompose(ids[0])
				mu.Lock()
				holdings[fmt.Sprintf("%s/%d", name, p.WorkerID)] = true
				for _, id := range ids {
					if other, seen := all[id]; seen {
						dup = append(dup, fmt.Sprintf("%d from %s and %s", id, other, name))
					}
					all[id] = name
				}
				mu.Unlock()
			}
		}()
	}
	// Cut a serving node's link for longer than its TTL, one at a time, until
	// WorkerIds have changed hands several times (and 10s have passed), or
	// the test runs out of time: a busy machine makes handovers slower, not
	// rarer.
	wait := testproc.Context(t)
	began := time.Now()
	handovers := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(holdings) - 3
	}
	for i := 0; wait.Err() == nil && (handovers() < 4 || time.Since(began) < 10*time.Second); i++ {
		n := started[i%nodes].Load()
		if n == nil || n.Ready() != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		p := proxies[i%nodes]
		p.Block()
		select {
		case <-wait.Done():
		case <-time.After(2500 * time.Millisecond):
		}
		p.Unblock()
	}
	cancel()
	wg.Wait()
	t.Logf("%d IDs checked, %d duplicates, %d node/WorkerId holdings in %s", len(all), len(dup), len(holdings), time.Since(began).Round(time.Second))
	if len(holdings) <= 3 {
		t.Fatalf("WorkerIds never changed hands (%v); the test proves little", holdings)
	}
	if len(dup) > 0 {
		t.Fatalf("duplicates: %v", dup[:min(10, len(dup))])
	}
}
