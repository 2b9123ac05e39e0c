package zkcoord

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

func TestEphemeral(t *testing.T) {
	zk := startZK(t)
	addr := zk.Addr()
	eph := func(c *Config) { c.Mode = ModeEphemeral }

	t.Run("HandoverAfterRelease", func(t *testing.T) {
		ctx := testCtx(t)
		a := mustAcquire(t, open(t, addr, "handover", eph), claimFor("a", 1))
		if a.WorkerID() != 1 {
			t.Fatalf("WorkerId %d, want 1 (the only one)", a.WorkerID())
		}
		if err := a.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
			t.Fatal(err)
		}
		other := open(t, addr, "handover", eph)
		_, err := other.Acquire(ctx, claimFor("b", 1))
		wantErr(t, err, coord.ErrNoFreeWorker)
		if !strings.Contains(err.Error(), "1 held") {
			t.Fatalf("exhaustion error %q does not count the holders", err)
		}
		final := time.Now().Add(time.Second)
		if err := a.Release(ctx, final); err != nil {
			t.Fatal(err)
		}
		b := mustAcquire(t, other, claimFor("b", 1))
		if b.WorkerID() != 1 || b.HighWater().UnixMilli() != ceilMilli(final) {
			t.Fatalf("new holder got WorkerId %d W %v, want 1 and %v", b.WorkerID(), b.HighWater(), final)
		}
		if err := a.Reserve(ctx, time.Now().Add(time.Hour)); err == nil {
			t.Fatal("Reserve after Release succeeded")
		}
	})

	t.Run("CloseFreesAtOnce", func(t *testing.T) {
		ctx := testCtx(t)
		ab := open(t, addr, "close", eph)
		a := mustAcquire(t, ab, claimFor("a", 1))
		w := time.Now().Add(3 * time.Second)
		if err := a.Reserve(ctx, w); err != nil {
			t.Fatal(err)
		}
		ab.Close()
		wantErr(t, a.Err(), coord.ErrClosed)
		b := mustAcquire(t, open(t, addr, "close", eph), claimFor("b", 1))
		if b.HighWater().UnixMilli() != ceilMilli(w) {
			t.Fatalf("W after Close %v, want the reserved %v", b.HighWater(), w)
		}
	})

	t.Run("StickyAndOrdinal", func(t *testing.T) {
		ctx := testCtx(t)
		b := open(t, addr, "sticky", eph)
		l := mustAcquire(t, b, claimFor("idcoord-4", 15))
		if l.WorkerID() != 5 {
			t.Fatalf("idcoord-4 got %d, want the ordinal 5", l.WorkerID())
		}
		n := mustAcquire(t, b, claimFor("plain", 15))
		if err := n.Report(ctx, coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: n.WorkerID(), Admin: "h:1"}); err != nil {
			t.Fatal(err)
		}
		if err := n.Release(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		again := mustAcquire(t, open(t, addr, "sticky", eph), claimFor("plain", 15))
		if again.WorkerID() != n.WorkerID() {
			t.Fatalf("restart got %d, want the sticky %d", again.WorkerID(), n.WorkerID())
		}
	})

	t.Run("SameNodeRefused", func(t *testing.T) {
		mustAcquire(t, open(t, addr, "same", eph), claimFor("a", 15))
		_, err := open(t, addr, "same", eph).Acquire(testCtx(t), claimFor("a", 15))
		wantErr(t, err, coord.ErrNodeLive)
	})

	t.Run("RevokeFencesAtOnce", func(t *testing.T) {
		b := open(t, addr, "revoke", eph)
		l := mustAcquire(t, b, claimFor("a", 15))
		if err := raw(t, addr).Delete(b.p.worker(l.WorkerID()), -1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-l.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the holder did not notice its claim was deleted")
		}
		wantErr(t, l.Err(), coord.ErrFenced)
		wantErr(t, l.Reserve(testCtx(t), time.Now().Add(time.Hour)), coord.ErrFenced)
	})

	t.Run("PeersAndReports", func(t *testing.T) {
		ctx := testCtx(t)
		b := open(t, addr, "peers", eph)
		l1 := mustAcquire(t, b, claimFor("p1", 15))
		mustAcquire(t, open(t, addr, "peers", eph), claimFor("p2", 15))
		peers, err := b.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(peers) != 2 || peers[0].Node != "p1" || peers[0].WorkerID != l1.WorkerID() || peers[1].Node != "p2" || peers[0].Admin != "127.0.0.1:7070" {
			t.Fatalf("Peers() = %+v", peers)
		}
		r := coord.Report{Timestamp: 1700000000000, WorkerID: l1.WorkerID(), Admin: "127.0.0.1:7070"}
		if err := l1.Report(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Timestamp++
		if err := l1.Report(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, ok, err := b.LastReport(ctx, "p1")
		if err != nil || !ok || got != r {
			t.Fatalf("LastReport = %+v %v %v, want %+v", got, ok, err, r)
		}
		if _, ok, err := b.LastReport(ctx, "nobody"); ok || err != nil {
			t.Fatalf("LastReport(nobody) = %v, %v", ok, err)
		}
		if _, err := raw(t, addr).Create(b.p.report("broken"), []byte("{"), 0, b.cfg.ACL); err != nil {
			t.Fatal(err)
		}
		_, _, err = b.LastReport(ctx, "broken")
		wantErr(t, err, coord.ErrBadRecord)
	})

	t.Run("ManyNodesAtOnce", func(t *testing.T) {
		const n = 15
		errs := make(chan error, n+1)
		held := make(chan int64, n)
		for i := range n {
			go func() {
				b, err := New(testCtx(t), Config{Servers: []string{addr}, Cluster: "many", Mode: ModeEphemeral, SessionTimeout: testTimeout})
				if err != nil {
					errs <- err
					return
				}
				t.Cleanup(func() { b.Close() })
				l, err := b.Acquire(testCtx(t), claimFor("m"+strings.Repeat("x", i), n))
				if err == nil {
					held <- l.WorkerID()
				}
				errs <- err
			}()
		}
		seen := map[int64]bool{}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			wid := <-held
			if seen[wid] {
				t.Fatalf("WorkerId %d handed out twice", wid)
			}
			seen[wid] = true
		}
	})
}

func TestNewUnreachable(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		cfg  Config
		want error
	}{
		{"connect timeout", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			Config{Servers: []string{closedPort(t)}, ConnectTimeout: 500 * time.Millisecond}, coord.ErrUnreachable},
		{"ctx deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		},
			Config{Servers: []string{closedPort(t)}}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			b, err := New(ctx, tt.cfg)
			if b != nil {
				b.Close()
			}
			wantErr(t, err, tt.want)
		})
	}
}

// TestSilentServer lists a server that accepts connections and never
// answers before a real one: New must still get a session within its
// ConnectTimeout, which go-zookeeper alone (waiting 6.7 session timeouts for
// a connect reply) would not. The client shuffles its servers, so a few
// rounds make it meet the silent one first.
func TestSilentServer(t *testing.T) {
	zk := startZK(t)
	silent, err := net.Listen("tcp", "127.0.0.1:0") // never accepts: the kernel queues, nobody answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for range 4 {
		b, err := New(testCtx(t), Config{
			Servers:        []string{silent.Addr().String(), zk.Addr()},
			SessionTimeout: testTimeout,
			ConnectTimeout: 3 * testTimeout,
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
}
