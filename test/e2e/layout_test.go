package e2e

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestServeRefusesAnotherLayout starts a twitter node (orders-3: WorkerId
// 4, 12 sequence bits) in a cluster, then a node of the same cluster with 8
// worker and 14 sequence bits (orders-0: WorkerId 1; 4<<12 == 1<<14, so
// every ID would repeat). The second exits 1 with one line naming both layouts, before it
// claims a WorkerId; the first serves on, and a node of the cluster's layout
// starts.
func TestServeRefusesAnotherLayout(t *testing.T) {
	ctx := testproc.Context(t)
	srv := etcdtest.StartBinary(t)
	flags := []string{"--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0], "--cluster", "orders"}
	first := startNode(t, "orders-3", flags...)
	readyWithin(ctx, first)

	other := startNode(t, "orders-0", append(flags, "--layout.worker-bits", "8", "--layout.sequence-bits", "14")...)
	exitWithin(ctx, other)
	other.wantExit(1, "^"+regexp.QuoteMeta(`idcoord: refusing to start: coord: two layouts in one cluster: cluster "orders" `+
		`uses layout 41/10/12 @1ms epoch 2010-11-04T01:42:54.657Z; this node's is 41/8/14 @1ms epoch 2010-11-04T01:42:54.657Z, `+
		`and IDs of one repeat IDs of the other; start this node under a new cluster name (--cluster), or with the cluster's layout`)+"$")
	if strings.Contains(other.logText(), "worker-id") {
		t.Fatalf("the refused node claimed a WorkerId; log:\n%s", other.logText())
	}

	cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	workers, err := cli.Get(ctx, "/idcoord/orders/workers/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(workers.Kvs) != 1 || string(workers.Kvs[0].Key) != "/idcoord/orders/workers/4" {
		t.Fatalf("held WorkerIds %v, want only the first node's 4", workers.Kvs)
	}
	layout, err := cli.Get(ctx, "/idcoord/orders/layout")
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"time_bits":41,"time_unit_ms":1,"worker_bits":10,"sequence_bits":12,"epoch_unix_ms":1288834974657,"datacenter_bits":0,"datacenter_id":0}`
	if len(layout.Kvs) != 1 || string(layout.Kvs[0].Value) != want || layout.Kvs[0].Lease != 0 {
		t.Fatalf("/idcoord/orders/layout = %v, want %s with no lease", layout.Kvs, want)
	}

	if code, _ := first.get("/readyz"); code != http.StatusOK {
		t.Fatal("the first node was disturbed by the refused start")
	}
	same := startNode(t, "orders-2", flags...)
	readyWithin(ctx, same)
	stopGracefully(t, same)
	stopGracefully(t, first)
}

// readyWithin waits until n's /readyz answers 200, failing the test if n
// exits first or ctx ends.
func readyWithin(ctx context.Context, n *node) {
	n.t.Helper()
	for {
		if code, _ := n.get("/readyz"); code == http.StatusOK {
			return
		}
		select {
		case <-n.proc.Done():
			n.t.Fatalf("%s exited before it was ready (%s); log:\n%s", n.name, n.proc.ExitStatus(), n.logText())
		case <-ctx.Done():
			_, body := n.get("/readyz")
			n.t.Fatalf("%s not ready by its deadline: %s; log:\n%s", n.name, body, n.logText())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// exitWithin waits until n exits, failing the test if ctx ends first.
func exitWithin(ctx context.Context, n *node) {
	n.t.Helper()
	select {
	case <-n.proc.Done():
	case <-ctx.Done():
		n.t.Fatalf("%s did not exit by the test's deadline; log:\n%s", n.name, n.logText())
	}
}

// fleetLayout is the layout every fleet node runs with, as the refusal
// names it.
const fleetLayout = "41/2/12 @1ms epoch 2010-11-04T01:42:54.657Z"

// layoutChanges are the rolling changes scenario 15 tries, each with the
// layout the refusal must name as the node's.
var layoutChanges = []struct{ env, layout string }{
	{"IDCOORD_LAYOUT_SEQUENCE_BITS=14", "41/2/14 @1ms epoch 2010-11-04T01:42:54.657Z"},
	{"IDCOORD_LAYOUT_EPOCH=2020-01-01T00:00:00Z", "41/2/12 @1ms epoch 2020-01-01T00:00:00Z"},
}

// runLayoutChange stops a serving node and starts it with another layout,
// as a rolling change of a layout.* key would: other sequence bits, then
// another epoch. Each start must be refused before it claims a WorkerId;
// then the node starts with the cluster's layout again.
func runLayoutChange(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	n.down(syscall.SIGTERM)
	for _, c := range layoutChanges {
		f.mark("fault", fmt.Sprintf("%s started with %s", n.name, c.env), sc.target)
		if err := n.up(false, c.env); err != nil {
			f.t.Fatal(err)
		}
		inc := n.incarnation.Load()
		select {
		case <-n.exitedCh():
		case <-time.After(30 * time.Second):
			sc.note("%s with %s still running after 30s", n.name, c.env)
			n.down(syscall.SIGKILL)
		}
		e, _ := n.exitOf(inc, 5*time.Second)
		sc.refusals = append(sc.refusals, refusal{inc: inc, want: c.layout, exit: e})
	}
	if err := n.up(true); err != nil {
		f.t.Fatal(err)
	}
	sc.healAt = f.since()
	f.mark("heal", n.name+" started with the cluster's layout", sc.target)
	f.run(f.steady(4 * time.Second))
}

// refusal is one start scenario 15 expects to be refused.
type refusal struct {
	inc  int64
	want string // the node's layout, as the refusal must name it
	exit exitRecord
}

// postLayoutChange checks that every start with another layout exited
// non-zero with one line naming both layouts, claimed no WorkerId and
// served nothing.
func postLayoutChange(f *fleet, sc *scenarioState, v *verdict) {
	n := f.nodes[sc.target]
	for _, r := range sc.refusals {
		line := r.exit.LastLine
		if r.exit.Code <= 0 || !strings.Contains(line, "two layouts in one cluster") ||
			!strings.Contains(line, "uses layout "+fleetLayout) || !strings.Contains(line, "this node's is "+r.want) {
			v.Scenario++
			v.evidence("%s incarnation %d (layout %s): exit %d, last line %q; want a refusal naming both layouts", n.name, r.inc, r.want, r.exit.Code, line)
		}
		for _, b := range f.loads[sc.target].batches {
			if b.Inc == r.inc {
				v.Scenario++
				v.evidence("%s served %d IDs under layout %s", n.name, b.N, r.want)
			}
		}
		for _, s := range f.samples[sc.target].s {
			if s.Incarnation == r.inc && s.WorkerID >= 0 {
				v.Scenario++
				v.evidence("%s held WorkerId %d under layout %s", n.name, s.WorkerID, r.want)
				break
			}
		}
		v.Notes = append(v.Notes, fmt.Sprintf("layout %s: exit %d: %s", r.want, r.exit.Code, line))
	}
	v.Notes = append(v.Notes, sc.notes...)
}
