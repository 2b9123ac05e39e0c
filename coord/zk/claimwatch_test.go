package zkcoord

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// TestRevokeSeenAtWrite deletes a holder's workers/<wid> and raises W: the
// write of W itself finds the claim gone, so the lease is fenced there, and
// W is left as it was.
func TestRevokeSeenAtWrite(t *testing.T) {
	zk := startZK(t)
	conn := raw(t, zk.Addr())
	for _, mode := range []Mode{ModeEphemeral, ModeSequential} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := testCtx(t)
			b := open(t, zk.Addr(), "revokewrite"+string(mode), func(c *Config) { c.Mode = mode })
			l := mustAcquire(t, b, claimFor("a", 15)).(*lease)
			_, before, err := conn.Get(l.hwPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := conn.Delete(l.workerPath, -1); err != nil {
				t.Fatal(err)
			}
			err = l.Reserve(ctx, time.Now().Add(time.Hour))
			wantErr(t, err, coord.ErrFenced)
			if !strings.Contains(err.Error(), l.workerPath+" was deleted") {
				t.Errorf("Reserve error %q does not name the deleted %s", err, l.workerPath)
			}
			if _, after, err := conn.Get(l.hwPath); err != nil || after.Version != before.Version {
				t.Fatalf("W znode at version %d after a fenced write (%v), want %d", after.Version, err, before.Version)
			}
			select {
			case <-l.Done():
			default:
				t.Fatal("the fenced lease is not Done")
			}
		})
	}
}

// TestRevokeBackstop deletes the workers/<wid> of a lease whose W is not
// being written: the backstop look, once per session timeout, fences it.
func TestRevokeBackstop(t *testing.T) {
	zk := startZK(t)
	b := open(t, zk.Addr(), "backstop", func(c *Config) { c.Mode = ModeEphemeral })
	l := mustAcquire(t, b, claimFor("a", 15)).(*lease)
	if err := raw(t, zk.Addr()).Delete(l.workerPath, -1); err != nil {
		t.Fatal(err)
	}
	deleted, bound := time.Now(), 2*l.backstopPeriod()+time.Second
	select {
	case <-l.Done():
		t.Logf("fenced %v after the delete (backstop period %v)", time.Since(deleted).Round(time.Millisecond), l.backstopPeriod())
	case <-time.After(bound):
		t.Fatalf("the holder did not notice within %v that its claim was deleted", bound)
	}
	wantErr(t, l.Err(), coord.ErrFenced)
}

// TestClaimLooks counts the requests a Backend with one lease sends over a
// few seconds: the sync every third of the session timeout, the writes of W
// of a node that issues, and, only for a lease whose W is not written, one
// look at its claim per session timeout. Polling the claim four times a
// second would more than double them.
func TestClaimLooks(t *testing.T) {
	zk := startZK(t)
	const span = 4 * time.Second
	for _, issuing := range []bool{false, true} {
		t.Run(fmt.Sprintf("issuing=%v", issuing), func(t *testing.T) {
			ctx := testCtx(t)
			b := open(t, zk.Addr(), fmt.Sprintf("looks%v", issuing), func(c *Config) { c.Mode = ModeEphemeral })
			l := mustAcquire(t, b, claimFor("a", 15)).(*lease)
			timeout := b.currentSession().timeout
			start, before := time.Now(), b.Ops()
			var writes int64
			for time.Since(start) < span {
				if issuing {
					if err := l.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
						t.Fatal(err)
					}
					writes++
				}
				time.Sleep(time.Second)
			}
			elapsed, ops := time.Since(start), b.Ops()-before
			syncs := int64(elapsed/(timeout/3)) + 1
			looks := int64(elapsed/timeout) + 1
			if issuing {
				looks = 1 // none while W is written each second; one if the machine stalled
			}
			t.Logf("%d requests in %v (%.2f/s): %d writes of W, session timeout %v",
				ops, elapsed.Round(time.Millisecond), float64(ops)/elapsed.Seconds(), writes, timeout)
			if bound := syncs + writes + looks; ops > bound {
				t.Fatalf("%d requests in %v, more than %d syncs, %d writes and %d looks at the claim", ops, elapsed, syncs, writes, looks)
			}
		})
	}
}
