package etcd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestCloseEndsLeases closes a Backend that holds a WorkerId without
// releasing it: the lease reports coord.ErrClosed at once, its goroutines
// have ended when Close returns, and the WorkerId stays held in etcd with
// the W last reserved, until its lease expires.
func TestCloseEndsLeases(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	// A long TTL: the holder record must still be there when it is read
	// after Close.
	b := newBackendTTL(t, srv.Endpoints(), clusterOf(t), 60*time.Second)
	ctx := testproc.Context(t)
	l, err := b.Acquire(ctx, claimFor("closing"))
	if err != nil {
		t.Fatal(err)
	}
	w := time.UnixMilli(time.Now().Add(time.Second).UnixMilli())
	if err := l.Reserve(ctx, w); err != nil {
		t.Fatal(err)
	}
	if n := leaseGoroutines(); n == 0 {
		t.Fatal("no keepAlive or watchHolder goroutine runs while the lease is held: the check below proves nothing")
	}

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	now := time.Now() // read before the deadline, as an issuer does
	select {
	case <-l.Done():
	default:
		t.Fatal("Done is open after Close")
	}
	if !errors.Is(l.Err(), coord.ErrClosed) {
		t.Fatalf("Err after Close = %v, want one wrapping coord.ErrClosed", l.Err())
	}
	if d := l.Deadline(); !d.Before(now) {
		t.Fatalf("Deadline after Close = %s, not before the clock read after it (%s)", d, now)
	}
	if n := leaseGoroutines(); n != 0 {
		t.Fatalf("%d keepAlive or watchHolder goroutines still run after Close", n)
	}
	if err := l.Reserve(ctx, w.Add(time.Second)); !errors.Is(err, coord.ErrClosed) {
		t.Errorf("Reserve after Close = %v, want one wrapping coord.ErrClosed", err)
	}
	if _, err := b.Acquire(ctx, claimFor("too-late")); !errors.Is(err, coord.ErrClosed) {
		t.Errorf("Acquire after Close = %v, want one wrapping coord.ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// Not released: the holder record is still under its lease, and W is
	// the one reserved, not a final one.
	cli := rawClient(t, srv.Endpoints())
	prefix := etcd.Prefix(clusterOf(t))
	holder, err := cli.Get(ctx, prefix+fmt.Sprintf("workers/%d", l.WorkerID()))
	if err != nil || len(holder.Kvs) != 1 || holder.Kvs[0].Lease == 0 {
		t.Fatalf("holder record of WorkerId %d after Close: %v, %v; want it still under its lease", l.WorkerID(), holder, err)
	}
	resp, err := cli.Get(ctx, prefix+fmt.Sprintf("hw/%d", l.WorkerID()))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("reading W of WorkerId %d: %v, %v", l.WorkerID(), resp, err)
	}
	var hw etcd.HighWater
	if err := json.Unmarshal(resp.Kvs[0].Value, &hw); err != nil || !hw.Time().Equal(w) {
		t.Fatalf("W of WorkerId %d after Close = %s (%v); want %s as reserved", l.WorkerID(), hw.Time(), err, w)
	}
}

// leaseGoroutines counts the goroutines of this package's leases.
func leaseGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "coord/etcd.(*lease).keepAlive") || strings.Contains(g, "coord/etcd.(*lease).watchHolder") {
			n++
		}
	}
	return n
}
