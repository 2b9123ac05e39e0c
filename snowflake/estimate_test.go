package snowflake

import (
	"context"
	"testing"
	"time"
)

// TestMonotonicEstimateNeverLeads skews the monotonic estimate of the
// system-clock path both ways, as a wall step would, and checks that no ID
// carries a tick the wall clock had not reached: a new tick is always taken
// from a fresh wall reading.
func TestMonotonicEstimateNeverLeads(t *testing.T) {
	for _, skew := range []time.Duration{10 * time.Second, -10 * time.Second, 0} {
		g, err := New(Config{WorkerID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !g.monotonic {
			t.Fatal("the system clock path does not use the monotonic estimate")
		}
		ctx := context.Background()
		for i := range 200000 {
			if i%1000 == 0 {
				g.wallOffset.Add(int64(skew))
			}
			id, err := g.NextID(ctx)
			if err != nil {
				t.Fatal(err)
			}
			after := g.layout.TickOf(time.Now())
			if tick := id >> g.timeShift; tick > after {
				t.Fatalf("skew %s: id tick %d is ahead of the wall clock's tick %d", skew, tick, after)
			} else if tick < after-1000 {
				t.Fatalf("skew %s: id tick %d lags the wall clock's tick %d by more than a second", skew, tick, after)
			}
		}
	}
}

// TestStaleReadingIsNotARollback: a caller that read the clock, was
// preempted while others moved the state on by more than MaxBackwardWait,
// and then claims with its old reading must not see a clock rollback.
func TestStaleReadingIsNotARollback(t *testing.T) {
	g, err := New(Config{WorkerID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.NextID(context.Background()); err != nil {
		t.Fatal(err)
	}
	old := g.state.Load()
	lastTick := old >> g.seqBits
	stale := reading{tick: lastTick - 8, now: g.layout.TimeOf(lastTick - 8)}
	if _, _, err := g.claim(context.Background(), stale, old, 1); err != nil {
		t.Fatalf("a reading 8ms older than the state was taken as a rollback: %v", err)
	}
}
