package zkcoord

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestSameIdentityAtOnce starts two processes with one identity (the same
// admin.advertise) at the same instant, in sequential mode, round after
// round, with the same node name and with two node names. In every round
// one of them gets the identity's WorkerId and the other is refused with
// coord.ErrNodeLive; the identity is left with one forever znode, the
// winner's, so that a restart finds the WorkerId whose W was kept. The
// rounds go on until enough of them raced (both processes registered the
// identity, seen in the forever tree's cversion), or the test's deadline.
func TestSameIdentityAtOnce(t *testing.T) {
	zk := startZK(t)
	const wantRaced = 3
	for _, tt := range []struct {
		name string
		a, b string
	}{{"same node name", "twin", "twin"}, {"two node names", "twin-a", "twin-b"}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testproc.Context(t)
			cluster := "twins-" + strings.ReplaceAll(tt.name, " ", "-")
			conn := raw(t, zk.Addr())
			// A first identity creates the forever tree and its marker, so
			// that the tree's cversion then counts the rounds' znodes only.
			warm := mustAcquire(t, open(t, zk.Addr(), cluster, func(c *Config) { c.Identity = "10.9.9.9:7070" }), claimFor("warm", 1023))
			if err := warm.Release(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			raced := 0
			for round := 1; raced < wantRaced; round++ {
				if ctx.Err() != nil {
					t.Fatalf("only %d of %d rounds raced before the test's deadline", raced, round-1)
				}
				identity := fmt.Sprintf("10.0.%d.%d:7070", round/250, round%250+1)
				ba := open(t, zk.Addr(), cluster, func(c *Config) { c.Identity = identity })
				bb := open(t, zk.Addr(), cluster, func(c *Config) { c.Identity = identity })
				forever := ba.p.forever
				_, st, err := conn.Exists(forever)
				if err != nil {
					t.Fatal(err)
				}
				before := st.Cversion
				var (
					wg     sync.WaitGroup
					start  = make(chan struct{})
					leases [2]coord.Lease
					errs   [2]error
				)
				for i, run := range []struct {
					b    *Backend
					node string
				}{{ba, tt.a}, {bb, tt.b}} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						leases[i], errs[i] = run.b.Acquire(ctx, claimFor(run.node, 1023))
					}()
				}
				close(start)
				wg.Wait()
				winner := -1
				for i, err := range errs {
					switch {
					case err == nil && winner < 0:
						winner = i
					case err == nil:
						t.Fatalf("round %d: both processes with identity %s hold a WorkerId: %d and %d",
							round, identity, leases[0].WorkerID(), leases[1].WorkerID())
					case !errors.Is(err, coord.ErrNodeLive):
						t.Fatalf("round %d: %v, want a winner and a refusal with ErrNodeLive", round, err)
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: both refused: %v; %v", round, errs[0], errs[1])
				}
				children, st, err := conn.Children(forever)
				if err != nil {
					t.Fatal(err)
				}
				var mine []string
				for _, n := range children {
					if strings.HasPrefix(n, identity+"-") {
						mine = append(mine, n)
					}
				}
				want := fmt.Sprintf("%s-%010d", identity, leases[winner].WorkerID())
				if len(mine) != 1 || mine[0] != want {
					t.Fatalf("round %d: identity %s has forever znodes %v; want only the winner's %s (loser: %v)",
						round, identity, mine, want, errs[1-winner])
				}
				if st.Cversion-before > 1 {
					raced++
					t.Logf("round %d raced (forever cversion %d -> %d); refusal: %v", round, before, st.Cversion, errs[1-winner])
				}
				if err := leases[winner].Release(ctx, time.Now()); err != nil {
					t.Fatal(err)
				}
				ba.Close()
				bb.Close()
			}
		})
	}
}
