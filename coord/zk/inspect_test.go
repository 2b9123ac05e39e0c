package zkcoord

import (
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestInspect(t *testing.T) {
	srv := startZK(t)
	for _, mode := range []Mode{ModeSequential, ModeEphemeral} {
		t.Run(string(mode), func(t *testing.T) {
			cluster := "inspect-" + string(mode)
			ctx := testCtx(t)
			holders := open(t, srv.Addr(), cluster, func(c *Config) { c.Mode = mode })
			ops := open(t, srv.Addr(), cluster, func(c *Config) { c.Mode = mode })

			// Nothing yet: no tree, no rows.
			if rows, err := ops.Holdings(ctx); err != nil || len(rows) != 0 {
				t.Fatalf("Holdings of an empty cluster = %+v, %v", rows, err)
			}
			a := mustAcquire(t, holders, claimFor("a", 15))
			bl := mustAcquire(t, holders, claimFor("b", 15))
			w := time.Now().Add(3 * time.Second)
			if err := a.Reserve(ctx, w); err != nil {
				t.Fatal(err)
			}
			if err := a.Report(ctx, coord.Report{Timestamp: 42, WorkerID: a.WorkerID(), Admin: "127.0.0.1:7070"}); err != nil {
				t.Fatal(err)
			}
			if err := bl.Release(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			// A record nobody can read is left out.
			rc := raw(t, srv.Addr())
			if _, err := rc.Create(ops.p.report("bad"), []byte("["), gozk.FlagPersistent, gozk.WorldACL(gozk.PermAll)); err != nil {
				t.Fatal(err)
			}

			rows, err := ops.Holdings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].WorkerID >= rows[1].WorkerID {
				t.Fatalf("Holdings = %+v, want WorkerIds %d (held) and %d (released), sorted", rows, a.WorkerID(), bl.WorkerID())
			}
			held, released := rows[0], rows[1]
			if held.WorkerID != a.WorkerID() {
				held, released = released, held
			}
			if held.WorkerID != a.WorkerID() || released.WorkerID != bl.WorkerID() {
				t.Fatalf("Holdings = %+v, want WorkerIds %d and %d", rows, a.WorkerID(), bl.WorkerID())
			}
			switch {
			case !held.Live || held.Node != "a" || held.Admin != "127.0.0.1:7070" || held.Since.IsZero():
				t.Errorf("held row %+v", held)
			case held.Session != coord.SessionLive || held.LeaseLeft != -1:
				t.Errorf("held row: session %q, lease left %s; want live, -1", held.Session, held.LeaseLeft)
			case held.HighWater.UnixMilli() < w.UnixMilli():
				t.Errorf("held row: W %v, want at least %v", held.HighWater, w)
			case held.LastReport == nil || held.LastReport.Timestamp != 42:
				t.Errorf("held row: last report %+v", held.LastReport)
			}
			if released.Live || released.Node != "b" || released.Session != coord.SessionNone || !released.Since.IsZero() {
				t.Errorf("released row %+v, want node b, session none", released)
			}

			// ZooKeeper keeps no history: the last report only.
			if h, err := ops.History(ctx, "a"); err != nil || len(h) != 1 || h[0].Timestamp != 42 {
				t.Fatalf("History(a) = %+v, %v; want the one report", h, err)
			}
			if h, err := ops.History(ctx, "never"); err != nil || len(h) != 0 {
				t.Fatalf("History(never) = %+v, %v; want none", h, err)
			}

			// Revoking fences the holder, and a second revoke finds no holder.
			if holder, err := ops.Revoke(ctx, a.WorkerID()); err != nil || holder != "a" {
				t.Fatalf("Revoke(%d) = %q, %v; want a", a.WorkerID(), holder, err)
			}
			testproc.Within(t, 10*time.Second, "the revoked lease is Done", func() bool {
				select {
				case <-a.Done():
					return true
				default:
					return false
				}
			})
			wantErr(t, a.Err(), coord.ErrFenced)
			if _, err := ops.Revoke(ctx, a.WorkerID()); err == nil {
				t.Fatal("a second Revoke succeeded")
			} else {
				wantErr(t, err, coord.ErrNotHeld)
			}
			if _, err := ops.Revoke(ctx, 14); err == nil {
				t.Fatal("revoking a WorkerId never held succeeded")
			} else {
				wantErr(t, err, coord.ErrNotHeld)
			}
		})
	}
}

// TestInspectOtherMode: a Backend set to one mode inspects a cluster whose
// nodes run the other. It still finds W, where the other mode keeps it, and
// says which mode's records it read.
func TestInspectOtherMode(t *testing.T) {
	srv := startZK(t)
	for _, mode := range []Mode{ModeSequential, ModeEphemeral} {
		t.Run(string(mode), func(t *testing.T) {
			cluster := "other-" + string(mode)
			ctx := testCtx(t)
			holders := open(t, srv.Addr(), cluster, func(c *Config) { c.Mode = mode })
			same := open(t, srv.Addr(), cluster, func(c *Config) { c.Mode = mode })
			other := open(t, srv.Addr(), cluster, func(c *Config) { c.Mode = otherMode(mode) })

			if rows, read, err := other.Inspect(ctx); err != nil || len(rows) != 0 || read != "" {
				t.Fatalf("Inspect of an empty cluster = %+v, %q, %v; want no rows, no mode", rows, read, err)
			}
			l := mustAcquire(t, holders, claimFor("a", 15))
			w := time.Now().Add(3 * time.Second)
			if err := l.Reserve(ctx, w); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				b    *Backend
			}{{"same mode", same}, {"other mode", other}} {
				rows, read, err := tc.b.Inspect(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if read != mode {
					t.Errorf("%s: read %q records, want %q", tc.name, read, mode)
				}
				if len(rows) != 1 || rows[0].WorkerID != l.WorkerID() || !rows[0].Live || rows[0].HighWater.UnixMilli() < w.UnixMilli() {
					t.Errorf("%s: rows %+v, want WorkerId %d live with W at least %v", tc.name, rows, l.WorkerID(), w)
				}
				if hs, err := tc.b.Holdings(ctx); err != nil || len(hs) != 1 || !hs[0].HighWater.Equal(rows[0].HighWater) {
					t.Errorf("%s: Holdings = %+v, %v; want the rows of Inspect", tc.name, hs, err)
				}
			}
		})
	}
}
