package bench

import (
	"context"
	"testing"
	"time"

	"github.com/sony/sonyflake/v2"

	"github.com/idcoord/idcoord/snowflake"
)

// capTwitter is the capacity of one worker at 12 sequence bits per 1 ms tick.
const capTwitter = 4096 * 1000

// subject is one ID generator set up for the benchmarks.
type subject struct {
	// name is the sub-benchmark name.
	name string
	// capacity is the most IDs per second the layout allows one worker, or 0
	// when that is far beyond what one process can reach (uncapped layouts,
	// baselines).
	capacity float64
	// baseline marks a subject that measures a part of the work (a clock
	// read, the harness) rather than issuing IDs.
	baseline bool
	// open builds a fresh generator and returns a function that issues one ID.
	open func(tb testing.TB) func() (int64, error)
}

// subjects are the generators that BenchmarkNextID runs side by side.
var subjects = []subject{
	{name: "baseline_noop", baseline: true, open: openNoop},
	{name: "baseline_timeNow", baseline: true, open: openTimeNow},
	{name: "baseline_timeSince", baseline: true, open: openTimeSince},
	{name: "idcoord_twitter", capacity: capTwitter, open: openIdcoord(snowflake.Twitter())},
	{name: "bwmarrin_twitter", capacity: capTwitter, open: openBwmarrin(10, 12)},
	{name: "sonyflake_default", capacity: 256 * 100, open: openSonyflake(sonyflake.Settings{})},
	{name: "sonyflake_1ms", capacity: capTwitter, open: openSonyflake(sonyflake.Settings{
		TimeUnit: time.Millisecond, BitsSequence: 12, BitsMachineID: 10,
	})},
	{name: "idcoord_uncapped", open: openIdcoord(uncappedLayout)},
	{name: "bwmarrin_uncapped", open: openBwmarrin(1, 21)},
	{name: "sonyflake_uncapped", open: openSonyflake(sonyflake.Settings{
		TimeUnit: time.Millisecond, BitsSequence: 22, BitsMachineID: 1,
	})},
}

// uncappedLayout has 22 sequence bits per 1 ms tick (4.19e9 IDs/s), so no
// benchmark reaches its cap and the per-ID cost shows. 39 bits of 1 ms from
// 2026-01-01 last until 2043.
var uncappedLayout = snowflake.Layout{
	TimeBits:     39,
	TimeUnit:     time.Millisecond,
	WorkerBits:   2,
	SequenceBits: 22,
	Epoch:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
}

// newIdcoord returns an idcoord generator for layout at WorkerID 1, with no
// ceiling.
func newIdcoord(tb testing.TB, l snowflake.Layout) *snowflake.Generator {
	tb.Helper()
	if err := l.Validate(); err != nil {
		tb.Fatalf("layout %s: %v", l, err)
	}
	g, err := snowflake.New(snowflake.Config{Layout: l, WorkerID: 1})
	if err != nil {
		tb.Fatalf("snowflake.New(%s): %v", l, err)
	}
	return g
}

// openIdcoord opens an idcoord generator at layout l (see newIdcoord).
func openIdcoord(l snowflake.Layout) func(testing.TB) func() (int64, error) {
	return func(tb testing.TB) func() (int64, error) {
		g := newIdcoord(tb, l)
		ctx := context.Background()
		return func() (int64, error) { return g.NextID(ctx) }
	}
}

// openBwmarrin opens a bwmarrin/snowflake node 1 with the given widths.
func openBwmarrin(nodeBits, stepBits uint8) func(testing.TB) func() (int64, error) {
	return func(tb testing.TB) func() (int64, error) {
		tb.Helper()
		n, err := newBwmarrinNode(nodeBits, stepBits, 1)
		if err != nil {
			tb.Fatalf("bwmarrin node (%d node bits, %d step bits): %v", nodeBits, stepBits, err)
		}
		return func() (int64, error) { return n.Generate().Int64(), nil }
	}
}

// openSonyflake opens a sonyflake generator with settings st and machine 1.
func openSonyflake(st sonyflake.Settings) func(testing.TB) func() (int64, error) {
	return func(tb testing.TB) func() (int64, error) {
		tb.Helper()
		// The default MachineID reads a private IP address, which a test
		// machine may lack; every other field keeps the settings given.
		st.MachineID = func() (int, error) { return 1, nil }
		sf, err := sonyflake.New(st)
		if err != nil {
			tb.Fatalf("sonyflake.New(%+v): %v", st, err)
		}
		return sf.NextID
	}
}

// openNoop counts: it shows what the harness itself costs per op.
func openNoop(testing.TB) func() (int64, error) {
	var n int64
	return func() (int64, error) { n++; return n, nil }
}

// openTimeNow reads the wall and the monotonic clock, as time.Now does.
func openTimeNow(testing.TB) func() (int64, error) {
	return func() (int64, error) { return time.Now().UnixMilli(), nil }
}

// openTimeSince reads only the monotonic clock, as time.Since does for a
// reading that carries one (bwmarrin/snowflake's way of telling time).
func openTimeSince(testing.TB) func() (int64, error) {
	base := time.Now()
	return func() (int64, error) { return int64(time.Since(base)), nil }
}
