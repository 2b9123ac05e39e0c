package zkcoord

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// TestBadRecordsSkipped is the etcd test of the same name on ZooKeeper's
// ephemeral mode: hw/1 and hw/2 are not JSON and workers/3 is not
// ephemeral. Each costs its WorkerId, never the search; the last node finds
// none left, and its error counts the three skipped. Holdings shows them,
// and Revoke clears the stuck znode.
func TestBadRecordsSkipped(t *testing.T) {
	zk := startZK(t)
	ctx := testCtx(t)
	eph := func(c *Config) { c.Mode = ModeEphemeral }
	cluster := "badrecords"
	first := open(t, zk.Addr(), cluster, eph)
	if err := first.ensureTree(ctx); err != nil {
		t.Fatal(err)
	}
	conn := raw(t, zk.Addr())
	for p, data := range map[string]string{
		first.p.highWater(1): "not json",
		first.p.highWater(2): `{"w_unix_ms": `,
		first.p.worker(3):    `{"node": "by-hand"}`,
	} {
		if _, err := conn.Create(p, []byte(data), 0, gozk.WorldACL(gozk.PermAll)); err != nil {
			t.Fatalf("creating %s: %v", p, err)
		}
	}
	claim := func(node string) coord.Claim { return claimFor(node, 6) }
	for i := range 3 {
		b := open(t, zk.Addr(), cluster, eph)
		l := mustAcquire(t, b, claim(fmt.Sprintf("n%d", i)))
		if l.WorkerID() <= 3 {
			t.Fatalf("node n%d got WorkerId %d, whose record is bad", i, l.WorkerID())
		}
	}
	last := open(t, zk.Addr(), cluster, eph)
	// The stuck WorkerId first: after the listing of workers/, ZooKeeper
	// counts a znode that is not ephemeral as held without trying it.
	c := claim("last")
	c.Sticky = 3
	_, err := last.Acquire(ctx, c)
	if !errors.Is(err, coord.ErrNoFreeWorker) || !errors.Is(err, coord.ErrBadRecord) {
		t.Fatalf("last node: %v, want ErrNoFreeWorker and ErrBadRecord", err)
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

	rows, err := last.Holdings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]coord.Holding{}
	for _, h := range rows {
		seen[h.WorkerID] = h
	}
	if h := seen[3]; !h.Stuck || !h.Live || h.Node != "by-hand" || h.Session != coord.SessionNone {
		t.Errorf("Holdings row of WorkerId 3 = %+v, want Stuck, Live, by-hand, no session", h)
	}
	for _, wid := range []int64{1, 2} {
		if h := seen[wid]; !strings.Contains(h.Bad, fmt.Sprintf("hw/%d", wid)) {
			t.Errorf("Holdings row of WorkerId %d = %+v, want Bad naming hw/%d", wid, h, wid)
		}
	}
	if holder, err := last.Revoke(ctx, 3); err != nil || holder != "by-hand" {
		t.Fatalf("Revoke(3) = %q, %v", holder, err)
	}
	if l := mustAcquire(t, last, claim("last")); l.WorkerID() != 3 {
		t.Fatalf("after clearing workers/3: WorkerId %d, want 3", l.WorkerID())
	}
}
