package etcd_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestBadRecordsSkipped breaks three of six WorkerIds by hand: hw/1 and
// hw/2 are not JSON, and workers/3 is under no lease, so it never expires.
// Each costs its WorkerId, never the search: three nodes get the other
// three, and the fourth finds none left, with an error that counts the
// three skipped and names one record, a warning naming each key, and the
// count. Nothing is deleted on its own: the stuck key is still there.
func TestBadRecordsSkipped(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	ctx := testproc.Context(t)
	cluster := clusterOf(t)
	cli := rawClient(t, srv.Endpoints())
	prefix := etcd.Prefix(cluster)
	for key, value := range map[string]string{
		"hw/1":      "not json",
		"hw/2":      `{"w_unix_ms": `,
		"workers/3": `{"node": "by-hand"}`,
	} {
		if _, err := cli.Put(ctx, prefix+key, value); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(node string) coord.Claim {
		return coord.Claim{Node: node, MaxWorkerID: 6, Reserved: []int64{0}}
	}
	got := map[int64]bool{}
	for i := range 3 {
		b := newBackend(t, srv.Endpoints(), cluster)
		l, err := b.Acquire(ctx, claim(fmt.Sprintf("n%d", i)))
		if err != nil {
			t.Fatalf("node n%d: %v", i, err)
		}
		if l.WorkerID() <= 3 {
			t.Fatalf("node n%d got WorkerId %d, whose record is bad", i, l.WorkerID())
		}
		got[l.WorkerID()] = true
	}
	if len(got) != 3 {
		t.Fatalf("three nodes got WorkerIds %v", got)
	}
	// A skipped WorkerId is not left held by the claim that skipped it.
	for _, key := range []string{"workers/1", "workers/2"} {
		resp, err := cli.Get(ctx, prefix+key)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) != 0 {
			t.Errorf("%s left behind by a skipped claim: %s", key, resp.Kvs[0].Value)
		}
	}

	core, logs := observer.New(zap.WarnLevel)
	last, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: cluster, TTL: 3 * time.Second,
		FenceMargin: 500 * time.Millisecond, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer last.Close()
	_, err = last.Acquire(ctx, claim("last"))
	if !errors.Is(err, coord.ErrNoFreeWorker) || !errors.Is(err, coord.ErrBadRecord) {
		t.Fatalf("fourth node: %v, want ErrNoFreeWorker and ErrBadRecord", err)
	}
	for _, part := range []string{"3 held", "3 skipped over a bad record"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("exhaustion %q does not say %q", err, part)
		}
	}
	t.Logf("exhaustion: %v", err)
	if n := last.BadRecords(); n != 3 {
		t.Errorf("BadRecords = %d, want 3", n)
	}
	for _, key := range []string{"hw/1", "hw/2", "workers/3"} {
		if logs.FilterField(zap.String("key", prefix+key)).Len() == 0 {
			t.Errorf("no warning names %s; logged: %v", key, logs.All())
		}
	}
	resp, err := cli.Get(ctx, prefix+"workers/3")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatal("the stuck workers/3 was deleted; only an operator may clear it")
	}

	// What an operator sees: the stuck holder record and the bad W records.
	rows, err := last.Holdings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]coord.Holding{}
	for _, h := range rows {
		seen[h.WorkerID] = h
	}
	if h := seen[3]; !h.Stuck || !h.Live || h.Node != "by-hand" {
		t.Errorf("Holdings row of WorkerId 3 = %+v, want Stuck, Live, by-hand", h)
	}
	for _, wid := range []int64{1, 2} {
		if h := seen[wid]; !strings.Contains(h.Bad, fmt.Sprintf("hw/%d", wid)) || h.Stuck {
			t.Errorf("Holdings row of WorkerId %d = %+v, want Bad naming hw/%d", wid, h, wid)
		}
	}
	for _, wid := range []int64{4, 5, 6} {
		if h := seen[wid]; h.Stuck || h.Bad != "" || !h.Live {
			t.Errorf("Holdings row of WorkerId %d = %+v, want live and not stuck", wid, h)
		}
	}

	// Once an operator clears the stuck key, its WorkerId is free again.
	if holder, err := last.Revoke(ctx, 3); err != nil || holder != "by-hand" {
		t.Fatalf("Revoke(3) = %q, %v", holder, err)
	}
	l, err := last.Acquire(ctx, claim("last"))
	if err != nil {
		t.Fatalf("after clearing workers/3: %v", err)
	}
	if l.WorkerID() != 3 {
		t.Fatalf("after clearing workers/3: WorkerId %d, want 3", l.WorkerID())
	}
}
