package idcoord_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// regional is twitter-dc with 2 worker bits: WorkerIds 1..3 per datacenter
// (0 is reserved), so three nodes take them all, in every region alike.
var regional = func() snowflake.Layout {
	l, err := snowflake.Preset("twitter-dc")
	if err != nil {
		panic(err)
	}
	l.WorkerBits = 2
	return l
}()

// openBackend opens a backend of one node in one cluster.
type openBackend func(t *testing.T, ctx context.Context, cluster, node string) (coord.Backend, error)

// region is one datacenter: its own cluster, on its own store (or its own
// cluster name on a shared one), with its datacenter ID.
type region struct {
	dc      int64
	cluster string
	open    openBackend
}

func etcdRegion(endpoints []string) openBackend {
	return func(t *testing.T, ctx context.Context, cluster, node string) (coord.Backend, error) {
		return etcd.New(ctx, etcd.Config{Endpoints: endpoints, Cluster: cluster, TTL: 3 * time.Second,
			FenceMargin: 500 * time.Millisecond, Logger: coordtest.Logger(t, zap.InfoLevel).Named(node)})
	}
}

func zkRegion(addr string) openBackend {
	return func(t *testing.T, ctx context.Context, cluster, node string) (coord.Backend, error) {
		return zkcoord.New(ctx, zkcoord.Config{Servers: []string{addr}, Cluster: cluster, Mode: zkcoord.ModeSequential,
			SessionTimeout: zkSession, Logger: coordtest.Logger(t, zap.InfoLevel).Named(node)})
	}
}

// startInDatacenter starts node name of layout l and datacenter dc in
// cluster, and closes it when the test ends.
func startInDatacenter(t *testing.T, open openBackend, cluster, name string, l snowflake.Layout, dc int64) (*idcoord.Node, error) {
	ctx := testproc.Context(t)
	b, err := open(t, ctx, cluster, name)
	if err != nil {
		return nil, fmt.Errorf("connecting %s: %w", name, err)
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: name, Admin: "127.0.0.1:1", Layout: l, DatacenterID: dc,
		Logger: coordtest.Logger(t, zap.InfoLevel).Named(name), StartTimeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, nil
}

// startRegions starts nodes web-0..web-<per-1> in every region at once.
func startRegions(t *testing.T, regions []region, per int) map[int64][]*idcoord.Node {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		nodes = map[int64][]*idcoord.Node{}
		errs  []error
	)
	for _, r := range regions {
		for i := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := startInDatacenter(t, r.open, r.cluster, fmt.Sprintf("web-%d", i), regional, r.dc)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("datacenter %d, web-%d: %w", r.dc, i, err))
					return
				}
				nodes[r.dc] = append(nodes[r.dc], n)
			}()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// checkRegionsApart makes every node of every region issue IDs at once and
// checks that no two are equal, that the regions hold the same WorkerIds
// (so the datacenter field alone keeps them apart), and that each ID
// carries its node's datacenter and WorkerId.
func checkRegionsApart(t *testing.T, nodes map[int64][]*idcoord.Node) {
	t.Helper()
	var held [][]int64
	for dc, ns := range nodes {
		var wids []int64
		for _, n := range ns {
			st := n.Status()
			if st.Layout.DatacenterBits != regional.DatacenterBits || st.Layout.DatacenterID != dc {
				t.Fatalf("status layout %+v; want datacenter %d of %d bits", st.Layout, dc, regional.DatacenterBits)
			}
			wids = append(wids, st.WorkerID)
		}
		slices.Sort(wids)
		held = append(held, wids)
	}
	for _, w := range held[1:] {
		if !slices.Equal(w, held[0]) {
			t.Fatalf("the regions hold different WorkerIds %v; the test needs the same on both sides", held)
		}
	}
	t.Logf("every region holds WorkerIds %v", held[0])

	const batches, batch = 20, 2000
	type issued struct {
		dc, wid int64
		ids     []int64
		err     error
	}
	var (
		wg  sync.WaitGroup
		out = make(chan issued, 16)
	)
	for dc, ns := range nodes {
		for _, n := range ns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := issued{dc: dc, wid: n.Status().WorkerID}
				for range batches {
					ids, err := n.NextIDs(context.Background(), batch)
					if err != nil {
						got.err = err
						break
					}
					got.ids = append(got.ids, ids...)
				}
				out <- got
			}()
		}
	}
	go func() { wg.Wait(); close(out) }()
	seen := map[int64]int64{} // ID -> datacenter
	for got := range out {
		if got.err != nil {
			t.Fatalf("datacenter %d, WorkerId %d: %v", got.dc, got.wid, got.err)
		}
		for _, id := range got.ids {
			if dc, dup := seen[id]; dup {
				t.Fatalf("ID %d issued in datacenter %d and in datacenter %d", id, dc, got.dc)
			}
			seen[id] = got.dc
			p, err := regional.Decompose(id)
			if err != nil || p.DatacenterID != got.dc || p.WorkerID != got.wid {
				t.Fatalf("ID %d of datacenter %d, WorkerId %d decodes to %+v, %v", id, got.dc, got.wid, p, err)
			}
		}
	}
	if want := len(nodes) * len(held[0]) * batches * batch; len(seen) != want {
		t.Fatalf("%d distinct IDs, want %d", len(seen), want)
	}
	t.Logf("%d IDs from %d datacenters, 0 duplicates", len(seen), len(nodes))
}

// TestDatacentersOnSeparateEtcd runs two regions, each with its own etcd
// server and the same cluster name: datacenters 1 and 2 hand out the same
// WorkerIds (all three of the worker field) and their IDs never collide.
func TestDatacentersOnSeparateEtcd(t *testing.T) {
	east, west := etcdtest.StartBinary(t), etcdtest.StartBinary(t)
	cluster := clusterOf(t)
	nodes := startRegions(t, []region{
		{dc: 1, cluster: cluster, open: etcdRegion(east.Endpoints())},
		{dc: 2, cluster: cluster, open: etcdRegion(west.Endpoints())},
	}, 3)
	checkRegionsApart(t, nodes)
}

// TestDatacentersOnZooKeeper runs two regions on one ZooKeeper server, each
// its own cluster in Leaf's sequential mode: datacenters 1 and 2 hand out
// the same WorkerIds and their IDs never collide.
func TestDatacentersOnZooKeeper(t *testing.T) {
	zk := zktest.Start(t)
	cluster := clusterOf(t)
	nodes := startRegions(t, []region{
		{dc: 1, cluster: cluster + "-dc1", open: zkRegion(zk.Addr())},
		{dc: 2, cluster: cluster + "-dc2", open: zkRegion(zk.Addr())},
	}, 3)
	checkRegionsApart(t, nodes)
}

// TestStartRefusesAnotherDatacenter: a cluster is one datacenter. A node of
// datacenter 2 (or of no datacenter field) would take a WorkerId of
// datacenter 1's cluster that its own region may hand out too; it refuses to
// start, naming both layouts, and the cluster's stored layout keeps
// datacenter 1.
func TestStartRefusesAnotherDatacenter(t *testing.T) {
	dcLayout := regional
	const (
		dc1Text = "41/2/12 @1ms epoch 2010-11-04T01:42:54.657Z, datacenter 1 of 5 bits"
		dc2Text = "41/2/12 @1ms epoch 2010-11-04T01:42:54.657Z, datacenter 2 of 5 bits"
	)
	for _, s := range layoutStores(t) {
		t.Run(s.name, func(t *testing.T) {
			cluster := clusterOf(t)
			open := openBackend(s.open)
			if _, err := startInDatacenter(t, open, cluster, "web-0", dcLayout, 1); err != nil {
				t.Fatal(err)
			}
			_, err := startInDatacenter(t, open, cluster, "web-1", dcLayout, 2)
			if !errors.Is(err, coord.ErrLayoutMismatch) {
				t.Fatalf("a node of datacenter 2 started in datacenter 1's cluster: %v", err)
			}
			for _, want := range []string{`cluster "` + cluster + `" uses layout ` + dc1Text, "this node's is " + dc2Text, "refusing to start", "a cluster is one datacenter", "datacenter.id 1"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			t.Logf("refusal: %v", err)
			noDC := scarce // 41/2/12, no datacenter field
			if _, err := startInDatacenter(t, open, cluster, "web-1", noDC, 0); !errors.Is(err, coord.ErrLayoutMismatch) {
				t.Fatalf("a node without the datacenter field started in datacenter 1's cluster: %v", err)
			}
			ins := openInspector(t, s, cluster)
			stored, ok, err := ins.StoredLayout(testproc.Context(t))
			if err != nil || !ok || stored.String() != dc1Text {
				t.Fatalf("stored layout %v, %v, %v; want %s", stored, ok, err, dc1Text)
			}
			rows, err := ins.Holdings(testproc.Context(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range rows {
				if h.Node != "web-0" {
					t.Fatalf("a refused node left a record: %+v", h)
				}
			}
			if _, err := startInDatacenter(t, open, cluster, "web-1", dcLayout, 1); err != nil {
				t.Fatalf("a node of the cluster's datacenter: %v", err)
			}
		})
	}
}

// TestConfigRefusesDatacenterOutOfRange: a datacenter ID that does not fit
// the layout's field is a configuration error, before the store is used.
func TestConfigRefusesDatacenterOutOfRange(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	for _, tt := range []struct {
		layout snowflake.Layout
		dc     int64
		says   string
	}{
		{regional, 32, "32 does not fit 5 datacenter bits (0..31)"},
		{regional, -1, "-1 does not fit 5 datacenter bits"},
		{snowflake.Twitter(), 1, "no datacenter field"},
	} {
		_, err := startInDatacenter(t, etcdRegion(srv.Endpoints()), clusterOf(t), "web-0", tt.layout, tt.dc)
		if !errors.Is(err, snowflake.ErrDatacenterIDRange) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("datacenter %d in %s: %v; want ErrDatacenterIDRange saying %q", tt.dc, tt.layout, err, tt.says)
		}
	}
}
