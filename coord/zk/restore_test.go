package zkcoord

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestRestoredServerGetsANewSession restores the server to a backup taken
// before the holder's session existed. The restored server refuses the
// holder's client, which has seen later transactions than the server now
// has, without ever saying that the session is gone; go-zookeeper retries
// with the same session for good. The Backend must give the session up
// once no server can take it back (its fence plus a timeout), start a new
// one, fence the old lease, and claim again.
func TestRestoredServerGetsANewSession(t *testing.T) {
	srv := startZK(t)
	backup := testproc.Backup(t, srv)
	b := open(t, srv.Addr(), "restored", nil)
	l := mustAcquire(t, b, claimFor("a", 3))
	for range 5 { // transactions the backup does not have
		if err := l.Reserve(testCtx(t), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	old := b.currentSession()

	restored := time.Now()
	testproc.Restore(t, srv, backup)
	select {
	case <-l.Done():
	case <-time.After(4*old.timeout + 10*time.Second):
		t.Fatalf("the lease of session %s is still live %v after the restore", sessionHex(old.id), time.Since(restored))
	}
	wantErr(t, l.Err(), coord.ErrFenced)
	if d := l.Deadline(); d.After(time.Now()) {
		t.Fatalf("the lost lease's deadline %v is ahead", time.Until(d))
	}
	testproc.Within(t, 10*time.Second, "a new session", func() bool {
		s := b.currentSession()
		return s.id != 0 && s.id != old.id && b.state().String() == "StateHasSession"
	})
	t.Logf("lease lost %v after the restore: %v; new session %s", time.Since(restored).Round(time.Millisecond), l.Err(), sessionHex(b.currentSession().id))
	again := mustAcquire(t, b, claimFor("a", 3))
	if err := again.Reserve(testCtx(t), time.Now().Add(time.Second)); err != nil {
		t.Fatalf("the new session cannot write W: %v", err)
	}
}
