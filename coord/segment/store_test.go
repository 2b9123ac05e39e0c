package segment

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// storeFactory opens a segment store on a real server, in a namespace of
// the test's own, closed when the test ends. Each backend's suite runs the
// same tests over one.
type storeFactory func(t *testing.T) coord.SegmentStore

// clusterOf names a cluster after the (sub)test.
func clusterOf(t testing.TB) string {
	return strings.NewReplacer("/", "_", " ", "_", "=", "_").Replace(t.Name())
}

// openEtcd opens an etcd Backend on endpoints.
func openEtcd(tb testing.TB, endpoints []string, cluster string) *etcd.Backend {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := etcd.New(ctx, etcd.Config{Endpoints: endpoints, Cluster: cluster, Logger: zap.NewNop()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

func TestEtcd(t *testing.T) {
	e := etcdtest.StartEmbedded(t)
	runStoreTests(t, func(t *testing.T) coord.SegmentStore { return openEtcd(t, e.Endpoints(), clusterOf(t)) })
}

func runStoreTests(t *testing.T, open storeFactory) {
	t.Run("concurrent nodes", func(t *testing.T) { testConcurrentNodes(t, open(t)) })
	t.Run("unknown tag", func(t *testing.T) { testUnknownTag(t, open(t)) })
	t.Run("bad input", func(t *testing.T) { testStoreBadInput(t, open(t)) })
	t.Run("close", func(t *testing.T) { testStoreClose(t, open(t)) })
	t.Run("metrics", func(t *testing.T) { testMetrics(t, open(t)) })
}

// newTestAllocator opens an Allocator on store, closed when the test ends.
func newTestAllocator(t *testing.T, cfg Config) *Allocator {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = coordtest.Logger(t, zap.WarnLevel)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func createTag(t *testing.T, store coord.SegmentStore, tag string, start, step int64) {
	t.Helper()
	if _, err := coord.CreateSegment(context.Background(), store, tag, start, step, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// testConcurrentNodes runs several allocators, as several nodes, on one
// store, each with many callers asking for batches of mixed sizes: no ID is
// handed out twice, each caller's IDs strictly increase, and every ID is in
// [start, max_id) of the record at the end.
func testConcurrentNodes(t *testing.T, store coord.SegmentStore) {
	const (
		nodes, callers = 3, 4
		start          = 1000
		perCaller      = 3000
	)
	createTag(t, store, "orders", start, 20)
	batches := []int{1, 7, 1, 64, 1, 250, 3}
	var mu sync.Mutex
	seen := make(map[int64]int, nodes*callers*perCaller)
	var wg sync.WaitGroup
	for node := range nodes {
		// A small MaxStep keeps the nodes fetching and racing on the record.
		a := newTestAllocator(t, Config{Store: store, MaxStep: 160, FetchWait: 10 * time.Second})
		for caller := range callers {
			wg.Go(func() {
				ids := make([]int64, 0, perCaller)
				for i := 0; len(ids) < perCaller; i++ {
					n := min(batches[(i+caller)%len(batches)], perCaller-len(ids))
					var err error
					if ids, err = a.AppendIDs(context.Background(), "orders", ids, n); err != nil {
						t.Errorf("node %d caller %d: %v", node, caller, err)
						return
					}
				}
				for i := 1; i < len(ids); i++ {
					if ids[i] <= ids[i-1] {
						t.Errorf("node %d caller %d: ID %d after %d", node, caller, ids[i], ids[i-1])
						return
					}
				}
				mu.Lock()
				defer mu.Unlock()
				for _, id := range ids {
					if prev, dup := seen[id]; dup {
						t.Errorf("ID %d handed out by node %d and node %d", id, prev, node)
					}
					seen[id] = node
				}
			})
		}
	}
	wg.Wait()
	rec, _, err := store.GetSegment(context.Background(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	for id := range seen {
		if id < start || id >= rec.MaxID {
			t.Fatalf("ID %d outside [%d, max_id %d)", id, start, rec.MaxID)
		}
	}
	if len(seen) != nodes*callers*perCaller {
		t.Fatalf("%d distinct IDs, want %d", len(seen), nodes*callers*perCaller)
	}
}

func testUnknownTag(t *testing.T, store coord.SegmentStore) {
	a := newTestAllocator(t, Config{Store: store})
	for range 3 {
		if _, err := a.Next(context.Background(), "missing"); !errors.Is(err, coord.ErrNoSegment) {
			t.Fatalf("unknown tag: %v, want coord.ErrNoSegment", err)
		}
	}
	if st := a.Status(); len(st) != 0 {
		t.Fatalf("status lists %+v", st)
	}
}

func testStoreBadInput(t *testing.T, store coord.SegmentStore) {
	createTag(t, store, "orders", 1, 10)
	a := newTestAllocator(t, Config{Store: store})
	if _, err := a.Next(context.Background(), "no/slash"); !errors.Is(err, coord.ErrBadTag) {
		t.Fatalf("bad tag: %v", err)
	}
	if _, err := a.AppendIDs(context.Background(), "orders", nil, 0); !errors.Is(err, ErrBadCount) {
		t.Fatalf("count 0: %v", err)
	}
	if id, err := a.Next(context.Background(), "orders"); err != nil || id != 1 {
		t.Fatalf("first ID %d, %v; want 1", id, err)
	}
}

func testStoreClose(t *testing.T, store coord.SegmentStore) {
	createTag(t, store, "orders", 1, 10)
	a := newTestAllocator(t, Config{Store: store})
	if _, err := a.AppendIDs(context.Background(), "orders", nil, 5); err != nil { // a fetch starts
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Next(context.Background(), "orders"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestEtcdUnreachable cuts the store off with a fault proxy: the loaded
// segment is still served, then requests fail with ErrUnavailable (bounded
// by FetchWait, not by the request's own deadline), and IDs come again
// once the store is back.
func TestEtcdUnreachable(t *testing.T) {
	e := etcdtest.StartEmbedded(t)
	p := faultproxy.NewWith(t, e.ClientAddr(), faultproxy.Options{Seed: 1})
	store := openEtcd(t, []string{p.Addr()}, clusterOf(t))
	createTag(t, store, "orders", 1, 100)
	a := newTestAllocator(t, Config{Store: store, FetchWait: 300 * time.Millisecond, FetchTimeout: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	last, err := a.Next(ctx, "orders") // loads [1, 101)
	if err != nil {
		t.Fatal(err)
	}
	p.Block()
	for range 99 { // the 10th starts a fetch that cannot succeed
		id, err := a.Next(ctx, "orders")
		if err != nil || id != last+1 {
			t.Fatalf("with the store cut off: %d, %v after %d", id, err, last)
		}
		last = id
	}
	_, err = a.Next(ctx, "orders")
	if !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
		t.Fatalf("nothing loaded, the store cut off: %v (request ctx: %v)", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), `"orders"`) || !strings.Contains(err.Error(), "waited") {
		t.Fatalf("the error %q does not name the tag and the wait", err)
	}
	t.Logf("cut off: %v", err)
	p.Unblock()
	servesAgainAbove(t, a, "orders", last)
}

// servesAgainAbove waits until a serves tag again once its store is back,
// and checks that the first ID is above last, the last one before the
// outage.
func servesAgainAbove(t *testing.T, a *Allocator, tag string, last int64) {
	t.Helper()
	var id int64
	testproc.Eventually(t, "IDs once the store is back", func() bool {
		var err error
		id, err = a.Next(context.Background(), tag)
		return err == nil
	})
	if id <= last {
		t.Fatalf("after the outage %d, not above %d", id, last)
	}
}

// TestEtcdStopped stops the store itself while a segment is loaded.
func TestEtcdStopped(t *testing.T) {
	e := etcdtest.StartEmbedded(t)
	store := openEtcd(t, e.Endpoints(), clusterOf(t))
	createTag(t, store, "orders", 1, 100)
	a := newTestAllocator(t, Config{Store: store, FetchWait: 300 * time.Millisecond, FetchTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	if _, err := a.AppendIDs(ctx, "orders", nil, 5); err != nil {
		t.Fatal(err)
	}
	e.Close()
	if _, err := a.AppendIDs(ctx, "orders", nil, 95); err != nil {
		t.Fatalf("the loaded rest, the store stopped: %v", err)
	}
	_, err := a.Next(ctx, "orders")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("nothing loaded, the store stopped: %v", err)
	}
	t.Logf("stopped: %v", err)
}

func testMetrics(t *testing.T, store coord.SegmentStore) {
	createTag(t, store, "orders", 1, 10)
	reg := prometheus.NewRegistry()
	a := newTestAllocator(t, Config{Store: store, Registerer: reg})
	if _, err := New(Config{Store: store, Registerer: reg}); err == nil {
		t.Fatal("a second Allocator registered the same metrics")
	}
	ctx := context.Background()
	if _, err := a.AppendIDs(ctx, "orders", nil, 25); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Next(ctx, "unknown"); !errors.Is(err, coord.ErrNoSegment) {
		t.Fatal(err)
	}
	testproc.Eventually(t, "the background fetch ends", func() bool { return !a.Status()[0].Fetching })
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				if l.GetName() == "tag" && l.GetValue() != "orders" {
					t.Errorf("%s has a series for tag %q", f.GetName(), l.GetValue())
				}
				if l.GetName() == "result" {
					key += "/" + l.GetValue()
				}
			}
			switch {
			case m.Counter != nil:
				values[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				values[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				values[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	st := a.Status()
	if len(st) != 1 {
		t.Fatalf("status: %+v", st)
	}
	loaded := st[0].Current.End - st[0].Current.Next
	if st[0].Next != nil {
		loaded += st[0].Next.End - st[0].Next.Next
	}
	for name, want := range map[string]float64{
		"idcoord_segment_ids_total":           25,
		"idcoord_segment_step":                float64(st[0].Step),
		"idcoord_segment_loaded_ids":          float64(loaded),
		"idcoord_segment_fetches_total/error": 0,
	} {
		if got, ok := values[name]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", name, got, ok, want)
		}
	}
	if values["idcoord_segment_fetches_total/ok"] < 1 || values["idcoord_segment_fetch_seconds"] < 1 ||
		values["idcoord_segment_exhausted_total"] < 1 {
		t.Errorf("fetches and waits not counted: %v", values)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Store: store, Registerer: reg})
	if err != nil {
		t.Fatalf("registering again after Close: %v", err)
	}
	b.Close()
}
