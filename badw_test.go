package idcoord_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestFencedNodeMovesOnFromBadW: a serving node's own W is overwritten by
// hand with one its layout cannot have (before the epoch), and its holder
// record is deleted, which fences it. Its clock report names that WorkerId,
// so it is the first the node tries again; the node must leave it out and
// serve under another one, rather than claim and refuse it for ever.
func TestFencedNodeMovesOnFromBadW(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	ctx := testproc.Context(t)
	o := nodeOpts{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "fenced", layout: scarce}
	n := mustStart(t, o)
	if _, err := n.NextID(ctx); err != nil {
		t.Fatal(err)
	}
	bad := n.Status().WorkerID
	cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	prefix := etcd.Prefix(o.cluster)
	// The clock report names the WorkerId before the fence: the node wrote
	// it when it started serving.
	for {
		resp, err := cli.Get(ctx, prefix+"leaf_forever/"+o.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := cli.Txn(ctx).Then(
		clientv3.OpPut(prefix+fmt.Sprintf("hw/%d", bad), `{"w_unix_ms": 5, "holder": "by-hand"}`),
		clientv3.OpDelete(prefix+fmt.Sprintf("workers/%d", bad)),
	).Commit(); err != nil {
		t.Fatal(err)
	}
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		s := n.Status()
		if s.Ready && s.WorkerID != bad {
			t.Logf("serving again under WorkerId %d, after WorkerId %d's W turned bad", s.WorkerID, bad)
			break
		}
		select {
		case <-deadline.Done():
			t.Fatalf("still not serving under another WorkerId than %d: %+v", bad, s)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := n.NextID(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBadRecordMetric: a node named pod-0 prefers WorkerId 1, whose W is
// not JSON. It serves under another one, and its collector counts the
// record skipped in idcoord_store_bad_records_total.
func TestBadRecordMetric(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	ctx := testproc.Context(t)
	o := nodeOpts{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "pod-0", layout: scarce}
	cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Put(ctx, etcd.Prefix(o.cluster)+"hw/1", "not json"); err != nil {
		t.Fatal(err)
	}
	n := mustStart(t, o)
	if wid := n.Status().WorkerID; wid == 1 {
		t.Fatalf("serving under WorkerId 1, whose W is not JSON")
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "idcoord_store_bad_records_total" {
			if got := f.GetMetric()[0].GetCounter().GetValue(); got != 1 {
				t.Fatalf("idcoord_store_bad_records_total = %v, want 1", got)
			}
			return
		}
	}
	t.Fatal("no idcoord_store_bad_records_total")
}
