package zkcoord

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

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
