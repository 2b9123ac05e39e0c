package snowflake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/snowflake"
)

func TestTwitterDCPreset(t *testing.T) {
	dc := mustPreset(t, "twitter-dc")
	tw := snowflake.Twitter()
	if dc.TimeBits != 41 || dc.DatacenterBits != 5 || dc.WorkerBits != 5 || dc.SequenceBits != 12 {
		t.Fatalf("twitter-dc = %+v, want 41/5/5/12", dc)
	}
	if sum := dc.TimeBits + dc.DatacenterBits + dc.WorkerBits + dc.SequenceBits; sum != 63 {
		t.Errorf("twitter-dc bits sum to %d, want 63", sum)
	}
	if !dc.Epoch.Equal(tw.Epoch) || dc.TimeUnit != tw.TimeUnit || !dc.End().Equal(tw.End()) {
		t.Errorf("twitter-dc epoch %s unit %s end %s; want Twitter's %s %s %s", dc.Epoch, dc.TimeUnit, dc.End(), tw.Epoch, tw.TimeUnit, tw.End())
	}
	if dc.Capacity() != tw.Capacity() {
		t.Errorf("Capacity() = %v, want Twitter's %v", dc.Capacity(), tw.Capacity())
	}
	if !dc.HasDatacenter() || dc.Datacenters() != 32 || dc.MaxDatacenterID() != 31 || dc.MaxWorkerID() != 31 {
		t.Errorf("HasDatacenter %v, Datacenters %d, MaxDatacenterID %d, MaxWorkerID %d; want true, 32, 31, 31",
			dc.HasDatacenter(), dc.Datacenters(), dc.MaxDatacenterID(), dc.MaxWorkerID())
	}
	if err := dc.ValidateAt(now); err != nil {
		t.Errorf("ValidateAt: %v", err)
	}
	for _, name := range snowflake.PresetNames() {
		if l := mustPreset(t, name); name != "twitter-dc" && (l.HasDatacenter() || l.Datacenters() != 1 || l.MaxDatacenterID() != 0) {
			t.Errorf("%s: has a datacenter field: %+v", name, l)
		}
	}
	if !strings.Contains(dc.String(), "5 datacenter bits") || strings.Contains(tw.String(), "datacenter") {
		t.Errorf("String(): twitter-dc %q, twitter %q", dc, tw)
	}
}

func TestComposeDecomposeDatacenter(t *testing.T) {
	l := mustPreset(t, "twitter-dc")
	for _, p := range []snowflake.Parts{
		{Tick: 1, DatacenterID: 0, WorkerID: 1, Sequence: 0},
		{Tick: 123456, DatacenterID: 1, WorkerID: 31, Sequence: 4095},
		{Tick: l.MaxTick(), DatacenterID: 31, WorkerID: 31, Sequence: 4095},
		{Tick: 99, DatacenterID: 17, WorkerID: 0, Sequence: 7},
	} {
		id, err := l.Compose(p)
		if err != nil {
			t.Fatalf("Compose(%+v): %v", p, err)
		}
		got, err := l.Decompose(id)
		if err != nil {
			t.Fatalf("Decompose(%d): %v", id, err)
		}
		if got.Tick != p.Tick || got.DatacenterID != p.DatacenterID || got.WorkerID != p.WorkerID || got.Sequence != p.Sequence {
			t.Errorf("round trip %+v -> %d -> %+v", p, id, got)
		}
	}
	// The fields sit, high to low, time | datacenter | worker | sequence:
	// 22, 17 and 12 bits up in twitter-dc.
	id, err := l.Compose(snowflake.Parts{Tick: 1, DatacenterID: 3, WorkerID: 2, Sequence: 1})
	if err != nil || id != 1<<22|3<<17|2<<12|1 {
		t.Fatalf("Compose = %d, %v; want %d", id, err, int64(1<<22|3<<17|2<<12|1))
	}
	// Twitter's 10 worker bits are the datacenter and the worker side by
	// side, as in Twitter's original layout.
	if p, err := snowflake.Twitter().Decompose(id); err != nil || p.WorkerID != 3<<5|2 || p.DatacenterID != 0 {
		t.Errorf("the twitter layout reads %+v, %v; want WorkerId %d", p, err, 3<<5|2)
	}
	for _, p := range []snowflake.Parts{{Tick: 1, DatacenterID: 32, WorkerID: 1}, {Tick: 1, DatacenterID: -1, WorkerID: 1}} {
		if _, err := l.Compose(p); !errors.Is(err, snowflake.ErrDatacenterIDRange) {
			t.Errorf("Compose(%+v) = %v, want ErrDatacenterIDRange", p, err)
		}
	}
	if _, err := snowflake.Twitter().Compose(snowflake.Parts{Tick: 1, DatacenterID: 1, WorkerID: 1}); !errors.Is(err, snowflake.ErrDatacenterIDRange) {
		t.Errorf("Compose with a datacenter ID in a layout without the field = %v, want ErrDatacenterIDRange", err)
	}
}

func TestValidateDatacenter(t *testing.T) {
	dc := mustPreset(t, "twitter-dc")
	over := dc
	over.DatacenterBits = 6
	if err := over.ValidateShape(); !errors.Is(err, snowflake.ErrBitsOverflow) || !strings.Contains(err.Error(), "41 time + 6 datacenter + 5 worker + 12 sequence = 64 bits") {
		t.Errorf("ValidateShape of 41/6/5/12 = %v", err)
	}
	neg := dc
	neg.DatacenterBits = -1
	if err := neg.ValidateShape(); !errors.Is(err, snowflake.ErrZeroWidth) || !strings.Contains(err.Error(), "datacenter bits is -1") {
		t.Errorf("ValidateShape with -1 datacenter bits = %v", err)
	}
	if _, err := neg.Decompose(1); err == nil {
		t.Error("Decompose in a layout with -1 datacenter bits succeeded")
	}
	tests := []struct {
		layout snowflake.Layout
		id     int64
		ok     bool
		says   string
	}{
		{dc, 0, true, ""},
		{dc, 31, true, ""},
		{dc, 32, false, "32 does not fit 5 datacenter bits (0..31)"},
		{dc, -1, false, "does not fit"},
		{snowflake.Twitter(), 0, true, ""},
		{snowflake.Twitter(), 1, false, "no datacenter field"},
	}
	for _, tt := range tests {
		err := tt.layout.ValidateDatacenterID(tt.id)
		if (err == nil) != tt.ok || (err != nil && (!errors.Is(err, snowflake.ErrDatacenterIDRange) || !strings.Contains(err.Error(), tt.says))) {
			t.Errorf("%s: ValidateDatacenterID(%d) = %v", tt.layout, tt.id, err)
		}
	}
}

func TestGeneratorStampsDatacenter(t *testing.T) {
	l := mustPreset(t, "twitter-dc")
	clock := clockguard.NewManualClock(l.TimeOf(1000))
	clock.SetAutoAdvance(true)
	ctx := context.Background()
	// Two datacenters, the same WorkerId, the same clock: no ID in common.
	seen := map[int64]int64{}
	for _, dcID := range []int64{1, 2} {
		g, err := snowflake.New(snowflake.Config{Layout: l, DatacenterID: dcID, WorkerID: 7, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		if g.DatacenterID() != dcID || g.WorkerID() != 7 {
			t.Fatalf("DatacenterID() %d, WorkerID() %d; want %d, 7", g.DatacenterID(), g.WorkerID(), dcID)
		}
		one, err := g.NextID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := g.NextIDs(ctx, 5000) // more than a tick's sequence
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range append(ids, one) {
			p := decompose(t, g, id)
			if p.DatacenterID != dcID || p.WorkerID != 7 {
				t.Fatalf("ID %d decodes to %+v; want datacenter %d, WorkerId 7", id, p, dcID)
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("ID %d issued in datacenters %d and %d", id, other, dcID)
			}
			seen[id] = dcID
		}
		clock.Set(l.TimeOf(1000)) // the second datacenter starts at the same instant
	}
	for _, c := range []snowflake.Config{
		{Layout: l, DatacenterID: 32, WorkerID: 1},
		{Layout: l, DatacenterID: -1, WorkerID: 1},
		{DatacenterID: 1, WorkerID: 1}, // twitter: no datacenter field
	} {
		if _, err := snowflake.New(c); !errors.Is(err, snowflake.ErrDatacenterIDRange) {
			t.Errorf("New(datacenter %d, %s) = %v, want ErrDatacenterIDRange", c.DatacenterID, c.Layout, err)
		}
	}
	if _, err := snowflake.New(snowflake.Config{Layout: l, DatacenterID: 1, WorkerID: 32}); !errors.Is(err, snowflake.ErrWorkerIDRange) {
		t.Errorf("New with WorkerId 32 of 5 worker bits = %v, want ErrWorkerIDRange", err)
	}
}
