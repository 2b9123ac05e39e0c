package main

import (
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

// Each preset's row, worked out by hand: the end is the epoch plus 2^time
// bits ticks, the capacity 2^sequence bits per tick.
var presetRows = []layoutRow{
	// 1288834974657 + 2^41 = 3487858230209 ms
	{Name: "leaf", TimeBits: 41, TimeUnit: "1ms", WorkerBits: 10, SequenceBits: 12,
		Epoch: "2010-11-04T01:42:54.657Z", End: "2080-07-10T17:30:30.209Z", Capacity: 4_096_000, MaxWorkerID: 1023, Datacenters: 1},
	// 2014-09-01 + 2^39 × 10ms = + 5497558138.88 s
	{Name: "sonyflake", TimeBits: 39, TimeUnit: "10ms", WorkerBits: 16, SequenceBits: 8,
		Epoch: "2014-09-01T00:00:00.000Z", End: "2188-11-16T03:28:58.880Z", Capacity: 25_600, MaxWorkerID: 65535, Datacenters: 1},
	{Name: "twitter", TimeBits: 41, TimeUnit: "1ms", WorkerBits: 10, SequenceBits: 12,
		Epoch: "2010-11-04T01:42:54.657Z", End: "2080-07-10T17:30:30.209Z", Capacity: 4_096_000, MaxWorkerID: 1023, Datacenters: 1},
	// twitter's bits and epoch, its 10 worker bits split 5 + 5: 32 datacenters
	// of WorkerIds 0..31.
	{Name: "twitter-dc", TimeBits: 41, TimeUnit: "1ms", DatacenterBits: 5, WorkerBits: 5, SequenceBits: 12,
		Epoch: "2010-11-04T01:42:54.657Z", End: "2080-07-10T17:30:30.209Z", Capacity: 4_096_000, MaxWorkerID: 31, Datacenters: 32},
	// 2016-05-20 + 2^28 s = + 3106 days 21:24:16, which has passed.
	{Name: "uidgenerator", TimeBits: 28, TimeUnit: "1s", WorkerBits: 22, SequenceBits: 13,
		Epoch: "2016-05-20T00:00:00.000Z", End: "2024-11-20T21:24:16.000Z", Expired: true, Capacity: 8192, MaxWorkerID: 4194303, Datacenters: 1},
}

func TestLayoutsJSON(t *testing.T) {
	got := jsonLinesOf[layoutRow](t, mustRun(t, "layouts", "-o", "json"))
	if len(got) != len(presetRows) {
		t.Fatalf("got %d rows, want %d", len(got), len(presetRows))
	}
	for i, want := range presetRows {
		if got[i] != want {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
}

func TestLayoutsText(t *testing.T) {
	out := mustRun(t, "layouts")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+len(presetRows)+2 {
		t.Fatalf("got %d lines, want a header, %d rows, a blank line and the note on ended layouts:\n%s", len(lines), len(presetRows), out)
	}
	if note := lines[len(lines)-2:]; note[0] != "" || !strings.HasPrefix(note[1], "(ended): ") || !strings.Contains(note[1], "layout.epoch is set to a later date") {
		t.Errorf("the table ends with %q, want a blank line and the note on ended layouts", note)
	}
	lines = lines[:1+len(presetRows)]
	wantHeader := []string{"NAME", "TIME", "BITS", "UNIT", "WORKER", "BITS", "SEQUENCE", "BITS", "EPOCH", "LIFETIME", "END", "IDS/S", "PER", "WORKER", "MAX", "WORKER", "ID", "DATACENTERS"}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != strings.Join(wantHeader, " ") {
		t.Errorf("header %q", lines[0])
	}
	for i, want := range []string{
		"leaf 41 1ms 10 12 2010-11-04T01:42:54.657Z 2080-07-10T17:30:30.209Z 4096000 1023 1",
		"sonyflake 39 10ms 16 8 2014-09-01T00:00:00.000Z 2188-11-16T03:28:58.880Z 25600 65535 1",
		"twitter 41 1ms 10 12 2010-11-04T01:42:54.657Z 2080-07-10T17:30:30.209Z 4096000 1023 1",
		"twitter-dc 41 1ms 5 12 2010-11-04T01:42:54.657Z 2080-07-10T17:30:30.209Z 4096000 31 32",
		"uidgenerator 28 1s 22 13 2016-05-20T00:00:00.000Z 2024-11-20T21:24:16.000Z (ended) 8192 4194303 1",
	} {
		if got := strings.Join(strings.Fields(lines[i+1]), " "); got != want {
			t.Errorf("row %d: %q, want %q", i, got, want)
		}
	}
	// Columns line up: every row starts its epoch where the header does.
	col := strings.Index(lines[0], "EPOCH")
	for _, line := range lines[1:] {
		if !strings.HasPrefix(line[col:], "20") {
			t.Errorf("row %q is not aligned with the header", line)
		}
	}
}

func TestLayoutsConfiguredRow(t *testing.T) {
	// 31 bits of 1ms last 2^31 ms = 24d20h31m23.648s; 2^22 IDs per ms.
	out := mustRun(t, "layouts", "-o", "json", "--layout.time-bits", "31", "--layout.sequence-bits", "22")
	rows := jsonLinesOf[layoutRow](t, out)
	want := layoutRow{Name: "configured", TimeBits: 31, TimeUnit: "1ms", WorkerBits: 10, SequenceBits: 22,
		Epoch: "2010-11-04T01:42:54.657Z", End: "2010-11-28T22:14:18.305Z", Expired: true, Capacity: 4_194_304_000, MaxWorkerID: 1023, Datacenters: 1}
	if len(rows) != len(presetRows)+1 || rows[len(rows)-1] != want {
		t.Errorf("last row %+v, want %+v", rows[len(rows)-1], want)
	}

	// Three of twitter's worker bits made a datacenter field: 8 datacenters of
	// 128 WorkerIds each.
	rows = jsonLinesOf[layoutRow](t, mustRun(t, "layouts", "-o", "json", "--layout.datacenter-bits", "3", "--layout.worker-bits", "7"))
	if last := rows[len(rows)-1]; last.Name != "configured" || last.DatacenterBits != 3 || last.Datacenters != 8 || last.MaxWorkerID != 127 {
		t.Errorf("configured row with a datacenter field: %+v", last)
	}

	t.Setenv("IDCOORD_LAYOUT_PRESET", "sonyflake")
	rows = jsonLinesOf[layoutRow](t, mustRun(t, "layouts", "-o", "json"))
	if last := rows[len(rows)-1]; last.Name != "configured" || last.TimeBits != 39 {
		t.Errorf("a preset from env gives no configured row: %+v", last)
	}
}

func TestLayoutsErrors(t *testing.T) {
	wantOneLineError(t, []string{`-o "yaml": want one of text, json`}, "layouts", "-o", "yaml")
	wantOneLineError(t, []string{"bits sum to more than 63"}, "layouts", "--layout.worker-bits", "30")
}

// TestLayoutsEndedMark: the mark and the note come from the lifetime at the
// time of the listing, and the note is printed only when a row is marked.
func TestLayoutsEndedMark(t *testing.T) {
	twitter, err := snowflake.Preset("twitter")
	if err != nil {
		t.Fatal(err)
	}
	end := twitter.End()
	for _, tc := range []struct {
		name  string
		now   time.Time
		ended bool
	}{
		{"a millisecond before the end", end.Add(-time.Millisecond), false},
		{"at the end", end, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := newLayoutRow("twitter", twitter, tc.now)
			if row.Expired != tc.ended {
				t.Fatalf("expired %v at %s, want %v (lifetime end %s)", row.Expired, tc.now, tc.ended, end)
			}
			var out strings.Builder
			if err := writeLayoutsText(&out, []layoutRow{row}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(out.String(), endedMark) && strings.Contains(out.String(), endedNote); got != tc.ended {
				t.Errorf("mark and note printed: %v, want %v:\n%s", got, tc.ended, out.String())
			}
		})
	}
}
