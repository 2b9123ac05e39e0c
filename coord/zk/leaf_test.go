package zkcoord

import (
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestLeafTree takes over a tree that Leaf wrote: each ip:port keeps the
// WorkerID Leaf gave it (0 included, with a warning), its HighWater is the
// timestamp Leaf stored, and what idcoord writes back is Leaf's format.
func TestLeafTree(t *testing.T) {
	zk := startZK(t)
	conn := raw(t, zk.Addr())
	now := time.Now().UnixMilli()
	ahead := time.Now().Add(time.Hour).UnixMilli() // a clock that ran ahead, then was fixed
	paths := createLeafTree(t, conn, "leaf-app", []endpoint{
		{IP: "10.0.0.7", Port: "8080", Timestamp: now - 5000}, // sequence 0: Leaf hands out 0
		{IP: "10.0.0.5", Port: "8080", Timestamp: now - 3000},
		{IP: "10.0.0.6", Port: "8080", Timestamp: ahead},
	})
	tests := []struct {
		identity string
		path     string
		wid      int64
		w        int64
	}{
		{"10.0.0.7:8080", paths[0], 0, now - 5000},
		{"10.0.0.5:8080", paths[1], 1, now - 3000},
		{"10.0.0.6:8080", paths[2], 2, ahead},
	}
	for _, tt := range tests {
		t.Run(tt.identity, func(t *testing.T) {
			log, logs := testLogs(t)
			b := open(t, zk.Addr(), "migrated", func(c *Config) {
				c.LeafName, c.Identity, c.Logger = "leaf-app", tt.identity, log
			})
			l := mustAcquire(t, b, claimFor("node-"+tt.identity, 1023))
			if l.WorkerID() != tt.wid {
				t.Fatalf("WorkerId %d, want Leaf's %d", l.WorkerID(), tt.wid)
			}
			// A node whose clock is behind this refuses to start (the clock
			// guard compares its clock with HighWater).
			if got := l.HighWater().UnixMilli(); got != tt.w {
				t.Fatalf("HighWater %d, want the stored timestamp %d", got, tt.w)
			}
			warned := logs.FilterMessage("keeping a reserved WorkerId that the forever tree bound to this identity (Leaf compatibility)").Len() > 0
			if warned != (tt.wid == 0) {
				t.Fatalf("warning about reserved WorkerId %d logged: %v", tt.wid, warned)
			}
			w := time.Now().Add(3 * time.Second)
			if err := l.Reserve(testCtx(t), w); err != nil {
				t.Fatal(err)
			}
			data, _, err := conn.Get(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			// Reserve never lowers W, so the node whose clock ran ahead
			// keeps its stored timestamp.
			if want := leafJSON(tt.identity[:len(tt.identity)-5], "8080", max(ceilMilli(w), tt.w)); string(data) != want {
				t.Fatalf("%s holds %s, want Leaf's format %s", tt.path, data, want)
			}
			if err := l.Release(testCtx(t), w); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("NewIdentityInLeafTree", func(t *testing.T) {
		b := open(t, zk.Addr(), "migrated", func(c *Config) { c.LeafName, c.Identity = "leaf-app", "10.0.0.8:8080" })
		l := mustAcquire(t, b, claimFor("newcomer", 1023))
		if l.WorkerID() != 3 {
			t.Fatalf("a new identity in Leaf's tree got %d, want the next sequence 3", l.WorkerID())
		}
		b.log.Info("done", zap.Int64("worker-id", l.WorkerID()))
	})
}
