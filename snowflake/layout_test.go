package snowflake_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func TestPresets(t *testing.T) {
	tests := []struct {
		name           string
		time, wid, seq int
		unit           time.Duration
		epoch          time.Time
		capacity       float64
		endYearAtLeast int
		endYearAtMost  int
		maxWorkerID    int64
	}{
		{"twitter", 41, 10, 12, time.Millisecond, time.UnixMilli(1288834974657), 4096000, 2079, 2080, 1023},
		{"leaf", 41, 10, 12, time.Millisecond, time.UnixMilli(1288834974657), 4096000, 2079, 2080, 1023},
		{"sonyflake", 39, 16, 8, 10 * time.Millisecond, time.Date(2014, 9, 1, 0, 0, 0, 0, time.UTC), 25600, 2188, 2189, 65535},
		{"uidgenerator", 28, 22, 13, time.Second, time.Date(2016, 5, 20, 0, 0, 0, 0, time.UTC), 8192, 2024, 2024, 1<<22 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := snowflake.Preset(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if l.TimeBits != tt.time || l.WorkerBits != tt.wid || l.SequenceBits != tt.seq || l.TimeUnit != tt.unit || !l.Epoch.Equal(tt.epoch) {
				t.Fatalf("preset %s = %+v", tt.name, l)
			}
			if got := l.Capacity(); got != tt.capacity {
				t.Errorf("Capacity() = %v, want %v", got, tt.capacity)
			}
			if y := l.End().Year(); y < tt.endYearAtLeast || y > tt.endYearAtMost {
				t.Errorf("End() = %s, want year in [%d, %d]", l.End(), tt.endYearAtLeast, tt.endYearAtMost)
			}
			if got := l.MaxWorkerID(); got != tt.maxWorkerID {
				t.Errorf("MaxWorkerID() = %d, want %d", got, tt.maxWorkerID)
			}
		})
	}
	if _, err := snowflake.Preset("nope"); !errors.Is(err, snowflake.ErrUnknownPreset) {
		t.Fatalf("Preset(nope) = %v, want ErrUnknownPreset", err)
	}
	if snowflake.Twitter() != mustPreset(t, snowflake.DefaultPreset) {
		t.Fatal("Twitter() is not the default preset")
	}
}

func mustPreset(t testing.TB, name string) snowflake.Layout {
	t.Helper()
	l, err := snowflake.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestValidate(t *testing.T) {
	tw := snowflake.Twitter()
	with := func(f func(*snowflake.Layout)) snowflake.Layout {
		l := tw
		f(&l)
		return l
	}
	tests := []struct {
		name     string
		layout   snowflake.Layout
		want     error
		mentions []string
	}{
		{"twitter ok", tw, nil, nil},
		{"bits over 63", with(func(l *snowflake.Layout) { l.SequenceBits = 13 }), snowflake.ErrBitsOverflow, []string{"41", "10", "13", "64"}},
		{"zero time bits", with(func(l *snowflake.Layout) { l.TimeBits = 0 }), snowflake.ErrZeroWidth, []string{"time"}},
		{"zero worker bits", with(func(l *snowflake.Layout) { l.WorkerBits = 0 }), snowflake.ErrZeroWidth, []string{"worker"}},
		{"zero sequence bits", with(func(l *snowflake.Layout) { l.SequenceBits = 0 }), snowflake.ErrZeroWidth, []string{"sequence"}},
		{"negative bits", with(func(l *snowflake.Layout) { l.WorkerBits = -3 }), snowflake.ErrZeroWidth, []string{"-3"}},
		{"unit below 1ms", with(func(l *snowflake.Layout) { l.TimeUnit = 500 * time.Microsecond }), snowflake.ErrTimeUnit, []string{"500µs"}},
		{"unit not whole ms", with(func(l *snowflake.Layout) { l.TimeUnit = 1500 * time.Microsecond }), snowflake.ErrTimeUnit, []string{"1.5ms"}},
		{"zero unit", with(func(l *snowflake.Layout) { l.TimeUnit = 0 }), snowflake.ErrTimeUnit, nil},
		{"epoch in future", with(func(l *snowflake.Layout) { l.Epoch = now.Add(time.Hour) }), snowflake.ErrEpochInFuture, []string{"2026-11-21T11:00:00Z", "1h0m0s"}},
		{"lifetime ended", with(func(l *snowflake.Layout) { l.TimeBits = 30 }), snowflake.ErrLifetimeEnded, []string{"ran out on 2010-11-16", "; set a later epoch"}},
		{"uidgenerator ended in 2024", mustPreset(t, "uidgenerator"), snowflake.ErrLifetimeEnded, []string{"2024-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.layout.ValidateAt(now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ValidateAt() = %v, want %v", err, tt.want)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestValidateWorkerID(t *testing.T) {
	l := snowflake.Twitter()
	tests := []struct {
		id       int64
		reserved []int64
		want     error
	}{
		{1, snowflake.DefaultReserved, nil},
		{1023, snowflake.DefaultReserved, nil},
		{0, snowflake.DefaultReserved, snowflake.ErrWorkerIDReserved},
		{0, []int64{}, nil},
		{7, []int64{0, 7}, snowflake.ErrWorkerIDReserved},
		{1024, nil, snowflake.ErrWorkerIDRange},
		{-1, nil, snowflake.ErrWorkerIDRange},
	}
	for _, tt := range tests {
		err := l.ValidateWorkerID(tt.id, tt.reserved)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("ValidateWorkerID(%d, %v) = %v, want %v", tt.id, tt.reserved, err, tt.want)
		}
	}
}

func TestComposeDecompose(t *testing.T) {
	for _, name := range snowflake.PresetNames() {
		l := mustPreset(t, name)
		p := snowflake.Parts{Tick: 123456, WorkerID: l.MaxWorkerID(), Sequence: l.MaxSequence() - 1}
		id, err := l.Compose(p)
		if err != nil {
			t.Fatalf("%s: Compose: %v", name, err)
		}
		got, err := l.Decompose(id)
		if err != nil {
			t.Fatalf("%s: Decompose: %v", name, err)
		}
		if got.Tick != p.Tick || got.WorkerID != p.WorkerID || got.Sequence != p.Sequence || !got.Time.Equal(l.TimeOf(p.Tick)) {
			t.Errorf("%s: round trip %+v -> %d -> %+v", name, p, id, got)
		}
	}
	// A known Twitter ID: tick 1, worker 1, sequence 1.
	l := snowflake.Twitter()
	if got, _ := l.Decompose(1<<22 | 1<<12 | 1); got.Tick != 1 || got.WorkerID != 1 || got.Sequence != 1 {
		t.Errorf("Decompose = %+v", got)
	}
	bad := []snowflake.Parts{{Tick: -1}, {Tick: 1 << 41}, {WorkerID: 1024}, {Sequence: 4096}, {Sequence: -1}}
	for _, p := range bad {
		if _, err := l.Compose(p); err == nil {
			t.Errorf("Compose(%+v) succeeded", p)
		}
	}
	if _, err := l.Decompose(-5); !errors.Is(err, snowflake.ErrBadID) {
		t.Errorf("Decompose(-5) = %v", err)
	}
	narrow := snowflake.Layout{TimeBits: 20, TimeUnit: time.Millisecond, WorkerBits: 4, SequenceBits: 4, Epoch: now}
	if _, err := narrow.Decompose(1 << 40); !errors.Is(err, snowflake.ErrBadID) {
		t.Errorf("Decompose beyond time bits = %v", err)
	}
}

func TestTickOf(t *testing.T) {
	l := mustPreset(t, "sonyflake")
	if got := l.TickOf(l.Epoch.Add(25 * time.Millisecond)); got != 2 {
		t.Errorf("TickOf(+25ms) = %d, want 2", got)
	}
	if got := l.TickOf(l.Epoch.Add(-5 * time.Millisecond)); got != -1 {
		t.Errorf("TickOf(-5ms) = %d, want -1", got)
	}
	if got := l.TimeOf(3); !got.Equal(l.Epoch.Add(30 * time.Millisecond)) {
		t.Errorf("TimeOf(3) = %s", got)
	}
}

func TestEndedAt(t *testing.T) {
	l := mustPreset(t, "uidgenerator")
	end := l.End()
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{end.Add(-time.Millisecond), false},
		{end, true},
		{end.Add(time.Hour), true},
	} {
		if got := l.EndedAt(tc.now); got != tc.want {
			t.Errorf("EndedAt(%s) = %v, want %v (end %s)", tc.now, got, tc.want, end)
		}
		if err := l.ValidateAt(tc.now); errors.Is(err, snowflake.ErrLifetimeEnded) != tc.want {
			t.Errorf("ValidateAt(%s) = %v, but EndedAt says %v", tc.now, err, tc.want)
		}
	}
}
