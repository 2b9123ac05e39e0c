package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// fleetSize is how many live nodes a fleet runs.
const fleetSize = 3

// fleetReserved is worker.reserved for the fleet and the CLI: 0 and one
// WorkerId inside 1..1023, which the summary counts.
var fleetReserved = []int64{0, 7}

// testStore is a real coordination server and how to reach it.
type testStore struct {
	name string
	// args point the CLI at the store and the fleet's cluster.
	args func(cluster string) []string
	// backend connects one node to the store.
	backend func(t *testing.T, ctx context.Context, cluster string, log *zap.Logger) (coord.Backend, error)
	// etcd is the etcd store's endpoint, empty for ZooKeeper: lease time
	// left instead of a session state, and a report history.
	etcd string
}

// etcdStore starts the etcd binary.
func etcdStore(t *testing.T) testStore {
	ep := etcdtest.StartBinary(t).Endpoints()[0]
	return testStore{
		name: "etcd",
		etcd: ep,
		args: func(cluster string) []string {
			return []string{"--coord", "etcd", "--etcd.endpoints", ep, "--cluster", cluster, "--worker.reserved", "0,7"}
		},
		backend: func(t *testing.T, ctx context.Context, cluster string, log *zap.Logger) (coord.Backend, error) {
			return etcd.New(ctx, etcd.Config{Endpoints: []string{ep}, Cluster: cluster, TTL: 3 * time.Second,
				FenceMargin: 500 * time.Millisecond, Logger: log})
		},
	}
}

// zkStores returns one store per ZooKeeper mode on srv.
func zkStores(srv *zktest.Server) []testStore {
	var out []testStore
	for _, mode := range []zkcoord.Mode{zkcoord.ModeSequential, zkcoord.ModeEphemeral} {
		out = append(out, testStore{
			name: "zk-" + string(mode),
			args: func(cluster string) []string {
				return []string{"--coord", "zk", "--zk.servers", srv.Addr(), "--zk.mode", string(mode),
					"--cluster", cluster, "--worker.reserved", "0,7"}
			},
			backend: func(t *testing.T, ctx context.Context, cluster string, log *zap.Logger) (coord.Backend, error) {
				return zkcoord.New(ctx, zkcoord.Config{Servers: []string{srv.Addr()}, Cluster: cluster, Mode: mode,
					ConnectTimeout: 5 * time.Second, Logger: log})
			},
		})
	}
	return out
}

// allStores starts etcd and ZooKeeper and returns a store for etcd and for
// each ZooKeeper mode.
func allStores(t *testing.T) []testStore {
	return append([]testStore{etcdStore(t)}, zkStores(zktest.Start(t))...)
}

// fleet is fleetSize live nodes on one store, node-0 to node-2, each with
// an admin address served by a /clock server that a test can set off or
// break.
type fleet struct {
	store   testStore
	cluster string
	started time.Time
	nodes   []*idcoord.Node
	names   []string
	admins  []*adminClock
}

// startFleet starts the nodes one after the other on a cluster named after
// the test, and closes them when the test ends.
func startFleet(t *testing.T, s testStore) *fleet {
	t.Helper()
	f := &fleet{store: s, cluster: strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), started: time.Now()}
	for i := range fleetSize {
		name := fmt.Sprintf("node-%d", i)
		admin := newAdminClock(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named(name)
		b, err := s.backend(t, ctx, f.cluster, log)
		if err != nil {
			cancel()
			t.Fatalf("%s: connecting %s: %v", s.name, name, err)
		}
		n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: name, Admin: admin.addr, Reserved: fleetReserved,
			ReportEvery: 200 * time.Millisecond, StartTimeout: 10 * time.Second, Logger: log})
		cancel()
		if err != nil {
			t.Fatalf("%s: starting %s: %v", s.name, name, err)
		}
		t.Cleanup(func() { n.Close(context.Background()) })
		f.nodes, f.names, f.admins = append(f.nodes, n), append(f.names, name), append(f.admins, admin)
	}
	return f
}

// cli runs idcoord with args followed by the flags that point it at the
// fleet's store.
func (f *fleet) cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLI(t, append(args, f.store.args(f.cluster)...)...)
}

// mustCLI is cli that fails the test unless idcoord exits 0 with nothing
// on stderr.
func (f *fleet) mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := f.cli(t, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("idcoord %s: exit %d, stderr %q, stdout %q", strings.Join(args, " "), code, stderr, stdout)
	}
	return stdout
}

// adminClock serves /clock as a node's admin listener does, from the system
// clock moved by an offset, or answers 503 while broken.
type adminClock struct {
	addr   string
	offset atomic.Int64 // nanoseconds
	broken atomic.Bool
}

func newAdminClock(t *testing.T) *adminClock {
	a := &adminClock{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.broken.Load() {
			http.Error(w, "broken on purpose", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"unix_nano": %d}`, time.Now().Add(time.Duration(a.offset.Load())).UnixNano())
	}))
	t.Cleanup(s.Close)
	a.addr = strings.TrimPrefix(s.URL, "http://")
	return a
}

// eventually polls cond every 50ms until it holds, and fails the test with
// what after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
