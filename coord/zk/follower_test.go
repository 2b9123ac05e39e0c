package zkcoord

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// TestFenceFollowerWithoutLeader holds a WorkerId through one follower of
// a three-member ensemble, then pauses the two other members (SIGSTOP): the
// follower has lost its leader and its quorum, but keeps answering reads
// from its own copy until SyncLimit ticks have passed without the leader.
// Nothing sent after the leader stopped can prove the session alive, so the
// leader (were it running, with a quorum) could expire the session at the
// pause plus the session timeout. The lease's fence must end by then.
func TestFenceFollowerWithoutLeader(t *testing.T) {
	const syncLimit = 15 // with 200ms ticks, a follower without a leader answers reads for 3s
	e := zktest.StartEnsemble(t, 3, zktest.Options{TickTime: 200 * time.Millisecond, SyncLimit: syncLimit})
	ctx := testproc.Context(t)
	leader, followers, err := e.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	follower, other := followers[0], followers[1]
	b := open(t, follower.Addr(), "cutoff", func(c *Config) { c.Mode = ModeEphemeral })
	l := mustAcquire(t, b, claimFor("a", 15))
	if err := l.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	timeout := b.currentSession().timeout
	reader := raw(t, follower.Addr()) // a plain client on the same follower, to see it answer reads

	other.Pause()
	leader.Pause()
	paused := time.Now() // nothing sent from here on reaches a running leader
	defer other.Resume()
	defer leader.Resume()
	bound := paused.Add(timeout)

	// Wait until the fence has passed, and stays passed; meanwhile count
	// the reads the follower answers without a leader.
	answered, lastAnswer := 0, time.Duration(0)
	for !time.Now().After(l.Deadline()) {
		if _, _, err := reader.Exists("/"); err == nil {
			answered++
			lastAnswer = time.Since(paused)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the fence is still ahead %v after the leader stopped: %v", time.Since(paused), time.Until(l.Deadline()))
		case <-time.After(50 * time.Millisecond):
		}
	}
	fence := l.Deadline()
	t.Logf("leader paused at 0s; fence at %v; the follower answered %d reads, the last %v after the pause; the leader could expire the session from %v",
		fence.Sub(paused).Round(time.Millisecond), answered, lastAnswer.Round(time.Millisecond), timeout)
	if answered == 0 {
		t.Fatal("the follower answered no read after its leader stopped: the test shows nothing")
	}
	if fence.After(bound) {
		t.Fatalf("the fence ends %v after the pause, later than the session could have expired at the leader (%v after it)",
			fence.Sub(paused).Round(time.Millisecond), timeout)
	}

	// Back with the others, the ensemble either expires the session (the
	// holder learns it when it reconnects, and its deadline stays put) or
	// elects a leader anew, which gives every session a fresh timeout (the
	// lease holds again, its fence moves on). Either way the holder
	// recovers; which one happens depends on the timing of the pause.
	leader.Resume()
	other.Resume()
	for {
		select {
		case <-l.Done():
			wantErr(t, l.Err(), coord.ErrFenced)
			if d := l.Deadline(); d.After(fence) {
				t.Fatalf("the deadline moved from %v to %v after the loss", fence.Sub(paused), d.Sub(paused))
			}
			t.Logf("the session expired: %v", l.Err())
			return
		case <-ctx.Done():
			t.Fatal("the holder neither lost its lease nor got its fence back once the ensemble was back")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().Before(l.Deadline()) {
			if err := l.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
				t.Fatalf("the session survived, but the lease cannot reserve: %v", err)
			}
			t.Logf("the session survived a new leader election; the fence is %v ahead again", time.Until(l.Deadline()).Round(time.Millisecond))
			return
		}
	}
}
