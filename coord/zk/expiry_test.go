package zkcoord

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestSessionExpiry partitions a holder from ZooKeeper: its Deadline stops
// moving and passes before the server expires the session; only then can
// another node take the WorkerID, reading a W at least the holder's last
// reserved one. When the partition heals, the holder learns of the expiry,
// loses the lease for good, and acquires again on a new session.
func TestSessionExpiry(t *testing.T) {
	zk := startZK(t)
	proxy := faultproxy.New(t, zk.Addr())
	eph := func(c *Config) { c.Mode = ModeEphemeral }
	ctx := testCtx(t)

	ab := open(t, proxy.Addr(), "expiry", eph)
	a := mustAcquire(t, ab, claimFor("a", 1))
	lastW := time.Now().Add(3 * time.Second)
	if err := a.Reserve(ctx, lastW); err != nil {
		t.Fatal(err)
	}
	other := open(t, zk.Addr(), "expiry", eph)
	_, err := other.Acquire(ctx, claimFor("b", 1))
	wantErr(t, err, coord.ErrNoFreeWorker)

	proxy.Block()
	blocked := time.Now()
	frozen := a.Deadline()
	if !frozen.After(blocked) {
		t.Fatalf("deadline %v is not ahead of the partition", frozen.Sub(blocked))
	}
	rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	if err := a.Reserve(rctx, lastW.Add(time.Second)); err == nil {
		t.Fatal("Reserve succeeded across a partition")
	}
	cancel()

	// Take the WorkerID as soon as the server lets go of it.
	var b coord.Lease
	for b == nil {
		l, err := other.Acquire(ctx, claimFor("b", 1))
		switch {
		case err == nil:
			b = l
		case errors.Is(err, coord.ErrNoFreeWorker):
			if time.Since(blocked) > 4*testTimeout {
				t.Fatalf("the partitioned session was not expired within %v", 4*testTimeout)
			}
			time.Sleep(50 * time.Millisecond)
		default:
			t.Fatal(err)
		}
	}
	taken := time.Now()
	if d := a.Deadline(); !d.Before(taken) {
		t.Fatalf("the WorkerId moved at %v, before the old holder's deadline %v", taken.Sub(blocked), d.Sub(blocked))
	}
	if !a.Deadline().Equal(frozen) {
		t.Fatalf("the deadline moved during the partition: %v -> %v", frozen, a.Deadline())
	}
	if b.WorkerID() != a.WorkerID() || b.HighWater().UnixMilli() < ceilMilli(lastW) {
		t.Fatalf("new holder: WorkerId %d W %v; want %d and W >= %v", b.WorkerID(), b.HighWater(), a.WorkerID(), lastW)
	}
	t.Logf("partition at 0s, old holder's fence at %v, WorkerId taken at %v",
		frozen.Sub(blocked).Round(time.Millisecond), taken.Sub(blocked).Round(time.Millisecond))

	proxy.Unblock()
	select {
	case <-a.Done():
	case <-time.After(4 * testTimeout):
		t.Fatal("the old holder did not learn of its expired session")
	}
	wantErr(t, a.Err(), coord.ErrFenced)
	wantErr(t, a.Reserve(ctx, time.Now().Add(time.Hour)), coord.ErrFenced)
	if err := b.Reserve(ctx, time.Now().Add(4*time.Second)); err != nil {
		t.Fatalf("the new holder was disturbed: %v", err)
	}
	again := mustAcquire(t, ab, claimFor("a", 2))
	if again.WorkerID() != 2 || again.Deadline().Before(time.Now()) {
		t.Fatalf("re-acquired WorkerId %d deadline %v", again.WorkerID(), again.Deadline())
	}
}

// TestLostAnswer cuts the connection while a write of W is in flight, so
// its outcome is unknown, and checks that the lease neither gives up nor
// trusts the write: the next Reserve settles it against the store.
func TestLostAnswer(t *testing.T) {
	zk := startZK(t) // grants up to 4s
	proxy := faultproxy.New(t, zk.Addr())
	ctx := testCtx(t)
	b := open(t, proxy.Addr(), "lost", func(c *Config) { c.SessionTimeout = 4 * time.Second })
	l := mustAcquire(t, b, claimFor("a", 15))
	if err := l.Reserve(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	proxy.Block()
	err := l.Reserve(ctx, time.Now().Add(2*time.Second))
	proxy.Unblock()
	wantErr(t, err, coord.ErrUnreachable)
	w := time.Now().Add(3 * time.Second)
	for {
		err := l.Reserve(ctx, w)
		if err == nil {
			break
		}
		if !errors.Is(err, coord.ErrUnreachable) {
			t.Fatalf("Reserve after the lost answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	data, _, err := raw(t, zk.Addr()).Get(b.p.foreverPrefix("a") + "0000000001")
	if err != nil {
		t.Fatal(err)
	}
	if want := leafJSON("a", "", ceilMilli(w)); string(data) != want {
		t.Fatalf("stored %s, want %s", data, want)
	}
}

// TestDeadlineOfEndedSession lets the server expire a holder's session
// while the holder is cut off, then reconnects it. In the moment between the
// Backend learning of the expiry and the lease being told, a caller that
// takes time.Now() and then compares it with Deadline (as the node does
// before it hands out IDs) must find the deadline passed.
func TestDeadlineOfEndedSession(t *testing.T) {
	zk := startZK(t)
	proxy := faultproxy.New(t, zk.Addr())
	ctx := testproc.Context(t)
	b := open(t, proxy.Addr(), "ended", func(c *Config) { c.Mode = ModeEphemeral })
	l := mustAcquire(t, b, claimFor("a", 15))

	const checks = 1000
	passed := make(chan int, 1)
	hook := func(lost []*lease) {
		n := 0
		for range checks {
			if time.Now().Before(l.Deadline()) {
				n++
			}
		}
		select {
		case passed <- n:
		default:
		}
	}
	beforeLoss.Store(&hook)
	defer beforeLoss.Store(nil)

	proxy.Block()
	watcher := raw(t, zk.Addr())
	for {
		ok, _, err := watcher.Exists(b.p.worker(l.WorkerID()))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break // the server expired the session
		}
		select {
		case <-ctx.Done():
			t.Fatal("the server did not expire the session of a cut-off holder")
		case <-time.After(50 * time.Millisecond):
		}
	}
	proxy.Unblock()
	select {
	case n := <-passed:
		if n > 0 {
			t.Fatalf("%d of %d deadline checks passed after the session had ended", n, checks)
		}
	case <-ctx.Done():
		t.Fatal("the holder never learnt that its session expired")
	}
	<-l.Done()
	wantErr(t, l.Err(), coord.ErrFenced)
	if d := l.Deadline(); !d.Before(time.Now()) {
		t.Fatalf("deadline %v after the loss is not in the past", time.Until(d))
	}
}
