package zkcoord

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestServerCrash kills ZooKeeper with SIGKILL and starts it again on the
// same data: holders pass their fence while it is down, recover by
// themselves (the same session resumes, or the lease is lost and acquired
// again with the same WorkerID and W), and sequence numbers keep growing.
func TestServerCrash(t *testing.T) {
	for _, mode := range []Mode{ModeSequential, ModeEphemeral} {
		t.Run(string(mode), func(t *testing.T) {
			zk := startZK(t)
			ctx := testCtx(t)
			with := func(c *Config) { c.Mode = mode }
			ab := open(t, zk.Addr(), "crash", with)
			a := mustAcquire(t, ab, claimFor("a", 15))
			mustAcquire(t, open(t, zk.Addr(), "crash", with), claimFor("b", 15))
			w := time.Now().Add(3 * time.Second)
			if err := a.Reserve(ctx, w); err != nil {
				t.Fatal(err)
			}

			zk.Kill()
			killed := time.Now()
			testproc.Within(t, 2*testTimeout, "fence passes while the server is down", func() bool { return time.Now().After(a.Deadline()) })
			t.Logf("fence passed %v after the kill", time.Since(killed).Round(time.Millisecond))
			zk.Restart(t)

			var held coord.Lease
			testproc.Within(t, 4*testTimeout, "the holder recovers", func() bool {
				select {
				case <-a.Done():
					c := claimFor("a", 15)
					c.Sticky = a.WorkerID() // as a node does, from its last clock report
					l, err := ab.Acquire(ctx, c)
					if err != nil {
						t.Logf("acquire again: %v", err)
						return false
					}
					held = l
					t.Logf("session expired: acquired again")
				default:
					if !a.Deadline().After(time.Now()) {
						return false
					}
					held = a
					t.Logf("session resumed after %v", time.Since(killed).Round(time.Millisecond))
				}
				return true
			})
			if held.WorkerID() != a.WorkerID() {
				t.Fatalf("after the crash WorkerId %d, want %d", held.WorkerID(), a.WorkerID())
			}
			if held != a && held.HighWater().UnixMilli() < ceilMilli(w) {
				t.Fatalf("W after the crash %v, below the reserved %v", held.HighWater(), w)
			}
			if err := held.Reserve(ctx, time.Now().Add(4*time.Second)); err != nil {
				t.Fatalf("Reserve after recovery: %v", err)
			}
			if mode == ModeSequential {
				c := mustAcquire(t, open(t, zk.Addr(), "crash", with), claimFor("c", 15))
				if c.WorkerID() != 3 {
					t.Fatalf("a new identity after the restart got %d, want 3", c.WorkerID())
				}
			}
		})
	}
}
