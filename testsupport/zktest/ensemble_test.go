package zktest

import (
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestEnsemble starts three members, writes through one follower and reads
// through the other, and checks that a follower whose leader is paused
// stops serving once SyncLimit ticks have passed.
func TestEnsemble(t *testing.T) {
	e := StartEnsemble(t, 3, Options{TickTime: 200 * time.Millisecond})
	ctx := testproc.Context(t)
	leader, followers, err := e.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range e.Members() {
		if s.ID() != i+1 || s.QuorumPort() == 0 || s.ElectionPort() == 0 {
			t.Fatalf("member %d: ID %d, quorum port %d, election port %d", i, s.ID(), s.QuorumPort(), s.ElectionPort())
		}
	}
	t.Logf("leader %d, followers %d and %d", leader.ID(), followers[0].ID(), followers[1].ID())
	create(t, connect(t, followers[0].Addr(), 4*time.Second), "/ensemble", "written", 0)
	other := connect(t, followers[1].Addr(), 4*time.Second)
	if _, err := other.Sync("/ensemble"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, other, "/ensemble", "written")

	leader.Pause()
	followers[1].Pause()
	defer leader.Resume()
	defer followers[1].Resume()
	for {
		if _, err := followers[0].Mode(ctx); err != nil {
			t.Logf("the follower without a quorum: %v", err)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("a follower whose leader and peer are paused still serves")
		case <-time.After(readyPoll):
		}
	}
}

func TestEnsembleSize(t *testing.T) {
	msg := startFails(t, func(tb testing.TB) { StartEnsemble(tb, 2, Options{}) })
	if msg == "" {
		t.Fatal("an ensemble of 2 started")
	}
}
