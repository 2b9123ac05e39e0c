package idcoord_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	clientv3 "go.etcd.io/etcd/client/v3"
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

// zkSession is the session timeout the ZooKeeper nodes here ask for; the
// test server grants it (its MinSessionTimeout is at most 2s).
const zkSession = 2 * time.Second

// layoutStore is a store for the layout tests: how to open a backend of a
// cluster on it, and how to write a key under a cluster behind idcoord's
// back.
type layoutStore struct {
	name string
	open func(t *testing.T, ctx context.Context, cluster, node string) (coord.Backend, error)
	put  func(t *testing.T, cluster, key string, value []byte)
}

func layoutStores(t *testing.T) []layoutStore {
	srv := etcdtest.StartEmbedded(t)
	zk := zktest.Start(t)
	return []layoutStore{
		{
			name: "etcd",
			open: func(t *testing.T, ctx context.Context, cluster, node string) (coord.Backend, error) {
				return etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: cluster, TTL: 3 * time.Second,
					FenceMargin: 500 * time.Millisecond, Logger: coordtest.Logger(t, zap.InfoLevel).Named(node)})
			},
			put: func(t *testing.T, cluster, key string, value []byte) {
				cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				defer cli.Close()
				if _, err := cli.Put(testproc.Context(t), etcd.Prefix(cluster)+key, string(value)); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "zk",
			open: func(t *testing.T, ctx context.Context, cluster, node string) (coord.Backend, error) {
				return zkcoord.New(ctx, zkcoord.Config{Servers: []string{zk.Addr()}, Cluster: cluster, Mode: zkcoord.ModeEphemeral,
					SessionTimeout: zkSession, Logger: coordtest.Logger(t, zap.InfoLevel).Named(node)})
			},
			put: func(t *testing.T, cluster, key string, value []byte) {
				c := zktest.Dial(t, zk.Addr(), zkSession)
				for _, p := range []string{"/idcoord", "/idcoord/" + cluster} {
					if _, err := c.Create(p, nil, 0, gozk.WorldACL(gozk.PermAll)); err != nil && !errors.Is(err, gozk.ErrNodeExists) {
						t.Fatal(err)
					}
				}
				if _, err := c.Create("/idcoord/"+cluster+"/"+key, value, 0, gozk.WorldACL(gozk.PermAll)); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
}

// startIn starts a node of layout l in cluster on s, and closes it when the
// test ends.
func startIn(t *testing.T, s layoutStore, cluster, name string, l snowflake.Layout) (*idcoord.Node, error) {
	t.Helper()
	ctx := testproc.Context(t)
	b, err := s.open(t, ctx, cluster, name)
	if err != nil {
		t.Fatalf("connecting %s to %s: %v", name, s.name, err)
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: name, Admin: "127.0.0.1:1", Layout: l,
		Logger: coordtest.Logger(t, zap.InfoLevel).Named(name), StartTimeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, nil
}

// TestStartRefusesAnotherLayout reproduces the fault of two layouts in one
// cluster: a twitter node holds WorkerId 4 (web-3; 12 sequence bits), and a
// node with 8 worker and 14 sequence bits would take WorkerId 1 (web-0),
// whose IDs are the same (4<<12 == 1<<14). The second node, and one that differs only in
// the epoch, refuse to start, naming both layouts, before they claim a
// WorkerId; a node of the cluster's layout starts.
func TestStartRefusesAnotherLayout(t *testing.T) {
	twitter := snowflake.Twitter()
	narrow := snowflake.Twitter()
	narrow.WorkerBits, narrow.SequenceBits = 8, 14
	later := snowflake.Twitter()
	later.Epoch = later.Epoch.Add(time.Millisecond)
	const (
		twitterText = "41/10/12 @1ms epoch 2010-11-04T01:42:54.657Z"
		narrowText  = "41/8/14 @1ms epoch 2010-11-04T01:42:54.657Z"
		laterText   = "41/10/12 @1ms epoch 2010-11-04T01:42:54.658Z"
	)
	for _, s := range layoutStores(t) {
		t.Run(s.name, func(t *testing.T) {
			cluster := clusterOf(t)
			first, err := startIn(t, s, cluster, "web-3", twitter)
			if err != nil {
				t.Fatal(err)
			}
			if wid := first.Status().WorkerID; wid != 4 {
				t.Fatalf("web-3 took WorkerId %d, want its ordinal's 4", wid)
			}
			for _, tt := range []struct {
				layout snowflake.Layout
				text   string
			}{{narrow, narrowText}, {later, laterText}} {
				_, err := startIn(t, s, cluster, "web-0", tt.layout)
				if !errors.Is(err, coord.ErrLayoutMismatch) {
					t.Fatalf("a node of layout %s started in a %s cluster: %v", tt.text, twitterText, err)
				}
				msg := err.Error()
				for _, want := range []string{`cluster "` + cluster + `" uses layout ` + twitterText, "this node's is " + tt.text,
					"refusing to start", "--cluster"} {
					if !strings.Contains(msg, want) {
						t.Errorf("refusal %q does not say %q", msg, want)
					}
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("refusal %q is not one line", msg)
				}
				t.Logf("refusal: %v", err)
			}
			ins := openInspector(t, s, cluster)
			rows, err := ins.Holdings(testproc.Context(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range rows {
				if h.Node != "web-3" {
					t.Fatalf("a refused node left a record: %+v", h)
				}
			}
			second, err := startIn(t, s, cluster, "web-2", twitter)
			if err != nil {
				t.Fatalf("a node of the cluster's layout: %v", err)
			}
			a, err := first.NextIDs(context.Background(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			b, err := second.NextIDs(context.Background(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			seen := make(map[int64]bool, len(a)+len(b))
			for _, id := range append(a, b...) {
				if seen[id] {
					t.Fatalf("ID %d issued twice", id)
				}
				seen[id] = true
			}
			stored, ok, err := ins.StoredLayout(testproc.Context(t))
			if err != nil || !ok || stored.String() != twitterText {
				t.Fatalf("stored layout %v, %v, %v; want %s", stored, ok, err, twitterText)
			}
		})
	}
}

// TestStartRefusesBadLayoutRecord starts a node in a cluster whose layout
// record cannot be read: it refuses with ErrBadRecord, naming the key, and
// leaves the record as it was.
func TestStartRefusesBadLayoutRecord(t *testing.T) {
	for _, s := range layoutStores(t) {
		for _, tt := range []struct{ name, value string }{
			{"not json", "41/10/12"},
			{"no bits", `{"time_bits":41,"time_unit_ms":1,"worker_bits":0,"sequence_bits":12,"epoch_unix_ms":0}`},
			{"unknown field", `{"time_bits":41,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":0,"shift":1}`},
		} {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				cluster := clusterOf(t)
				s.put(t, cluster, coord.LayoutKey, []byte(tt.value))
				_, err := startIn(t, s, cluster, "web-0", snowflake.Twitter())
				if !errors.Is(err, coord.ErrBadRecord) || !strings.Contains(err.Error(), "/idcoord/"+cluster+"/layout") {
					t.Fatalf("start with layout record %q = %v; want ErrBadRecord naming the key", tt.value, err)
				}
				t.Logf("refusal: %v", err)
			})
		}
	}
}

func openInspector(t *testing.T, s layoutStore, cluster string) coord.Inspector {
	t.Helper()
	b, err := s.open(t, testproc.Context(t), cluster, "inspector")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.(coord.Inspector)
}
