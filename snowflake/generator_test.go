package snowflake_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/snowflake"
)

// newGen returns a generator on a manual clock that sits at the start of
// tick 1000 of the Twitter layout.
func newGen(t *testing.T, cfg snowflake.Config) (*snowflake.Generator, *clockguard.ManualClock) {
	t.Helper()
	if cfg.Layout == (snowflake.Layout{}) {
		cfg.Layout = snowflake.Twitter()
	}
	clock := clockguard.NewManualClock(cfg.Layout.TimeOf(1000))
	cfg.Clock = clock
	if cfg.WorkerID == 0 {
		cfg.WorkerID = 5
	}
	g, err := snowflake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g, clock
}

func decompose(t *testing.T, g *snowflake.Generator, id int64) snowflake.Parts {
	t.Helper()
	p, err := g.Layout().Decompose(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewRejects(t *testing.T) {
	tw := snowflake.Twitter()
	tests := []struct {
		name string
		cfg  snowflake.Config
		want error
	}{
		{"reserved worker 0", snowflake.Config{WorkerID: 0}, snowflake.ErrWorkerIDReserved},
		{"custom reserved", snowflake.Config{WorkerID: 9, Reserved: []int64{9}}, snowflake.ErrWorkerIDReserved},
		{"worker out of range", snowflake.Config{WorkerID: 1024}, snowflake.ErrWorkerIDRange},
		{"bad layout", snowflake.Config{WorkerID: 1, Layout: snowflake.Layout{TimeBits: 50, WorkerBits: 10, SequenceBits: 12, TimeUnit: time.Millisecond}}, snowflake.ErrBitsOverflow},
		{"ceiling below floor", snowflake.Config{WorkerID: 1, Floor: 10, Ceiling: 5}, snowflake.ErrBadWindow},
		{"ceiling past lifetime", snowflake.Config{WorkerID: 1, Layout: tw, Ceiling: tw.MaxTick() + 1}, snowflake.ErrBadWindow},
		{"negative floor", snowflake.Config{WorkerID: 1, Floor: -1}, snowflake.ErrBadWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := snowflake.New(tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("New() = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := snowflake.New(snowflake.Config{WorkerID: 0, Reserved: []int64{}}); err != nil {
		t.Fatalf("an empty reserved list must allow WorkerId 0: %v", err)
	}
}

func TestIDsCarryWorkerAndIncrease(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{WorkerID: 77})
	ctx := context.Background()
	var last int64
	for i := range 10000 {
		if i%1000 == 0 {
			clock.Advance(time.Millisecond)
		}
		id, err := g.NextID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if id <= last {
			t.Fatalf("id %d after %d", id, last)
		}
		last = id
		if p := decompose(t, g, id); p.WorkerID != 77 {
			t.Fatalf("worker %d", p.WorkerID)
		}
	}
}

func TestFloorIsExclusive(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{Floor: 1000})
	clock.SetAutoAdvance(true)
	id, err := g.NextID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := decompose(t, g, id); p.Tick != 1001 {
		t.Fatalf("first tick = %d, want 1001 (floor 1000 is exclusive)", p.Tick)
	}
}

func TestSmallRollbackIsWaitedOut(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{})
	ctx := context.Background()
	clock.Advance(10 * time.Millisecond) // tick 1010
	before, err := g.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Backwards(3 * time.Millisecond)
	clock.SetAutoAdvance(true)
	after, err := g.NextID(ctx)
	if err != nil {
		t.Fatalf("a 3ms rollback must be waited out: %v", err)
	}
	if after <= before {
		t.Fatalf("id %d after %d", after, before)
	}
	if s := g.Stats(); s.RollbackWaits != 1 || s.Rollbacks != 0 {
		t.Fatalf("stats %+v", s)
	}
	if got := clock.Now(); got.Before(g.Layout().TimeOf(1010)) {
		t.Fatalf("returned before the clock caught up: %s", got)
	}
}

func TestLargeRollbackIsAnError(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{})
	ctx := context.Background()
	clock.Advance(10 * time.Millisecond)
	before, err := g.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Backwards(50 * time.Millisecond)
	if _, err := g.NextID(ctx); !errors.Is(err, snowflake.ErrClockRollback) {
		t.Fatalf("NextID after a 50ms rollback = %v, want ErrClockRollback", err)
	}
	if _, err := g.NextIDs(ctx, 10); !errors.Is(err, snowflake.ErrClockRollback) {
		t.Fatalf("NextIDs after a 50ms rollback = %v, want ErrClockRollback", err)
	}
	clock.Advance(50 * time.Millisecond)
	after, err := g.NextID(ctx)
	if err != nil || after <= before {
		t.Fatalf("after the clock caught up: id %d (before %d), err %v", after, before, err)
	}
	if s := g.Stats(); s.Rollbacks != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestZeroToleranceNeverWaits(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{MaxBackwardWait: -1})
	clock.Advance(5 * time.Millisecond)
	if _, err := g.NextID(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Backwards(time.Millisecond)
	if _, err := g.NextID(context.Background()); !errors.Is(err, snowflake.ErrClockRollback) {
		t.Fatalf("got %v, want ErrClockRollback", err)
	}
}

func TestSequenceExhaustionWaitsForNextTick(t *testing.T) {
	l := snowflake.Twitter()
	l.SequenceBits = 2 // 4 IDs per tick
	g, clock := newGen(t, snowflake.Config{Layout: l})
	clock.Advance(time.Millisecond) // tick 1001
	clock.SetAutoAdvance(true)
	ctx := context.Background()
	ids, err := g.NextIDs(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if p := decompose(t, g, id); p.Tick != 1001 || p.Sequence != int64(i) {
			t.Fatalf("id %d = %+v", i, p)
		}
	}
	next, err := g.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := decompose(t, g, next); p.Tick != 1002 || p.Sequence != 0 {
		t.Fatalf("after exhaustion got %+v, want tick 1002 sequence 0", p)
	}
	if g.Stats().SequenceWaits != 1 {
		t.Fatalf("stats %+v", g.Stats())
	}
}

func TestBatchSpansTicks(t *testing.T) {
	l := snowflake.Twitter()
	l.SequenceBits = 3 // 8 IDs per tick
	g, clock := newGen(t, snowflake.Config{Layout: l})
	clock.SetAutoAdvance(true)
	ids, err := g.NextIDs(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 20 {
		t.Fatalf("got %d IDs", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ids[%d]=%d after %d", i, ids[i], ids[i-1])
		}
	}
	if first, last := decompose(t, g, ids[0]), decompose(t, g, ids[19]); first.Tick != 1000 || last.Tick != 1002 || last.Sequence != 3 {
		t.Fatalf("first %+v last %+v", first, last)
	}
	if _, err := g.NextIDs(context.Background(), 0); !errors.Is(err, snowflake.ErrBadCount) {
		t.Fatalf("NextIDs(0) = %v", err)
	}
}

func TestCeiling(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{Floor: 999, Ceiling: 1002})
	ctx := context.Background()
	clock.Advance(2 * time.Millisecond) // tick 1002: the last one allowed
	if _, err := g.NextID(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Millisecond) // tick 1003
	if _, err := g.NextID(ctx); !errors.Is(err, snowflake.ErrCeiling) {
		t.Fatalf("NextID past the ceiling = %v, want ErrCeiling", err)
	}
	g.RaiseCeiling(1001) // lower: ignored
	if g.Ceiling() != 1002 {
		t.Fatalf("ceiling moved down to %d", g.Ceiling())
	}
	g.RaiseCeiling(1010)
	id, err := g.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := decompose(t, g, id); p.Tick != 1003 {
		t.Fatalf("tick %d", p.Tick)
	}
	if g.Stats().CeilingHits != 1 {
		t.Fatalf("stats %+v", g.Stats())
	}
}

func TestWaitsHonourContext(t *testing.T) {
	l := snowflake.Twitter()
	l.SequenceBits = 1
	tests := []struct {
		name  string
		setup func(*snowflake.Generator, *clockguard.ManualClock)
	}{
		{"sequence exhaustion", func(g *snowflake.Generator, c *clockguard.ManualClock) {
			c.Advance(time.Millisecond)
			if _, err := g.NextIDs(context.Background(), 2); err != nil {
				t.Fatal(err)
			}
		}},
		{"small rollback", func(g *snowflake.Generator, c *clockguard.ManualClock) {
			c.Advance(5 * time.Millisecond)
			if _, err := g.NextID(context.Background()); err != nil {
				t.Fatal(err)
			}
			c.Backwards(2 * time.Millisecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, clock := newGen(t, snowflake.Config{Layout: l})
			tt.setup(g, clock)
			// The manual clock does not move, so only ctx can end the wait.
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := g.NextID(ctx)
				done <- err
			}()
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("NextID = %v, want context.Canceled", err)
			}
		})
	}
}

func TestLifetimeEnd(t *testing.T) {
	l := snowflake.Twitter()
	l.TimeBits = 11 // 2048 ticks
	g, clock := newGen(t, snowflake.Config{Layout: l})
	clock.Set(l.TimeOf(2048))
	if _, err := g.NextID(context.Background()); !errors.Is(err, snowflake.ErrLifetimeEnded) {
		t.Fatalf("got %v, want ErrLifetimeEnded", err)
	}
}

// TestParallelUniqueAndIncreasing draws 1M IDs from 8 goroutines on the real
// clock; run it under -race.
func TestParallelUniqueAndIncreasing(t *testing.T) {
	const goroutines, perGoroutine = 8, 1 << 17
	g, err := snowflake.New(snowflake.Config{WorkerID: 3})
	if err != nil {
		t.Fatal(err)
	}
	results := make([][]int64, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]int64, 0, perGoroutine)
			for len(ids) < perGoroutine {
				if i%2 == 0 {
					id, err := g.NextID(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					ids = append(ids, id)
					continue
				}
				var err error
				ids, err = g.AppendIDs(context.Background(), ids, min(100, perGoroutine-len(ids)))
				if err != nil {
					t.Error(err)
					return
				}
			}
			results[i] = ids
		}()
	}
	wg.Wait()
	seen := make(map[int64]struct{}, goroutines*perGoroutine)
	for i, ids := range results {
		for j, id := range ids {
			if j > 0 && id <= ids[j-1] {
				t.Fatalf("goroutine %d: id %d after %d", i, id, ids[j-1])
			}
			if _, dup := seen[id]; dup {
				t.Fatalf("duplicate id %d", id)
			}
			seen[id] = struct{}{}
		}
	}
	if len(seen) != goroutines*perGoroutine {
		t.Fatalf("got %d unique IDs", len(seen))
	}
}

func TestStop(t *testing.T) {
	g, clock := newGen(t, snowflake.Config{Floor: 1000})
	clock.SetAutoAdvance(true)
	ctx := context.Background()
	id, err := g.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := g.Stop()
	if p := decompose(t, g, id); p.Tick != last {
		t.Fatalf("Stop() = %d, want the last issued tick %d", last, p.Tick)
	}
	if _, err := g.NextID(ctx); !errors.Is(err, snowflake.ErrStopped) {
		t.Fatalf("NextID after Stop = %v", err)
	}
	if _, err := g.NextIDs(ctx, 3); !errors.Is(err, snowflake.ErrStopped) {
		t.Fatalf("NextIDs after Stop = %v", err)
	}
	if again := g.Stop(); again != last || g.LastTick() != last {
		t.Fatalf("second Stop() = %d, LastTick() = %d, want %d", again, g.LastTick(), last)
	}
}
