package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

// Known IDs, composed by hand: tick << (worker bits + sequence bits) |
// worker << sequence bits | sequence. Times are the epoch plus tick units.
var decodeCases = []struct {
	name string
	args []string // layout flags
	id   int64
	want decoded
}{
	// twitter and leaf: 41 bits of 1ms, 10 worker, 12 sequence, epoch 1288834974657 ms
	// (2010-11-04T01:42:54.657Z).
	{"twitter", nil, 1000<<22 | 5<<12 | 7,
		decoded{Time: "2010-11-04T01:42:55.657Z", WorkerID: 5, Sequence: 7}},
	{"twitter at 2026", []string{"--layout.preset", "twitter"}, 2124029378810630151,
		decoded{Time: "2026-11-21T06:37:21.123Z", WorkerID: 5, Sequence: 7}},
	{"twitter zero", nil, 0,
		decoded{Time: "2010-11-04T01:42:54.657Z", WorkerID: 0, Sequence: 0}},
	{"twitter largest", nil, math.MaxInt64, // tick 2^41-1 = 2199023255551 ms after the epoch
		decoded{Time: "2080-07-10T17:30:30.208Z", WorkerID: 1023, Sequence: 4095}},
	{"leaf", []string{"--layout.preset", "leaf"}, 86_400_000<<22 | 1023<<12 | 4095,
		decoded{Time: "2010-11-05T01:42:54.657Z", WorkerID: 1023, Sequence: 4095}},
	// sonyflake: 39 bits of 10ms, 16 worker, 8 sequence, epoch 2014-09-01.
	{"sonyflake", []string{"--layout.preset", "sonyflake"}, 100<<24 | 300<<8 | 9,
		decoded{Time: "2014-09-01T00:00:01.000Z", WorkerID: 300, Sequence: 9}},
	{"sonyflake largest", []string{"--layout.preset", "sonyflake"}, 1<<24 - 1,
		decoded{Time: "2014-09-01T00:00:00.000Z", WorkerID: 65535, Sequence: 255}},
	// uidgenerator: 28 bits of 1s, 22 worker, 13 sequence, epoch 2016-05-20.
	{"uidgenerator", []string{"--layout.preset", "uidgenerator"}, 86400<<35 | 123456<<13 | 8000,
		decoded{Time: "2016-05-21T00:00:00.000Z", WorkerID: 123456, Sequence: 8000}},
	// Overrides: the Unix epoch and 35 bits of 1s; tick 60 is one minute in.
	{"epoch and unit overridden", []string{"--layout.epoch", "0", "--layout.time-unit", "1s", "--layout.time-bits", "35"}, 60<<22 | 2<<12 | 3,
		decoded{Time: "1970-01-01T00:01:00.000Z", WorkerID: 2, Sequence: 3}},
	{"bits overridden", []string{"--layout.time-bits", "31", "--layout.sequence-bits", "22"}, 1<<32 | 1<<22 | 5,
		decoded{Time: "2010-11-04T01:42:54.658Z", WorkerID: 1, Sequence: 5}},
	// twitter-dc: 41 bits of 1ms, 5 datacenter, 5 worker, 12 sequence, Twitter's
	// epoch. The datacenter is shown whenever the layout has the field, 0 too.
	{"twitter-dc", []string{"--layout.preset", "twitter-dc"}, 1000<<22 | 3<<17 | 5<<12 | 7,
		decoded{Time: "2010-11-04T01:42:55.657Z", DatacenterID: ptr[int64](3), WorkerID: 5, Sequence: 7}},
	{"twitter-dc datacenter 0", []string{"--layout.preset", "twitter-dc"}, 1000<<22 | 5<<12 | 7,
		decoded{Time: "2010-11-04T01:42:55.657Z", DatacenterID: ptr[int64](0), WorkerID: 5, Sequence: 7}},
	{"twitter-dc largest", []string{"--layout.preset", "twitter-dc"}, math.MaxInt64,
		decoded{Time: "2080-07-10T17:30:30.208Z", DatacenterID: ptr[int64](31), WorkerID: 31, Sequence: 4095}},
	{"datacenter bits overridden", []string{"--layout.datacenter-bits", "2", "--layout.worker-bits", "8"}, 1<<22 | 2<<20 | 9<<12 | 1,
		decoded{Time: "2010-11-04T01:42:54.658Z", DatacenterID: ptr[int64](2), WorkerID: 9, Sequence: 1}},
	{"epoch as RFC 3339", []string{"--layout.preset", "sonyflake", "--layout.epoch", "2020-02-29T12:00:00Z"}, 6000<<24 | 1<<8,
		decoded{Time: "2020-02-29T12:01:00.000Z", WorkerID: 1, Sequence: 0}},
}

func TestDecodeText(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			id := strconv.FormatInt(tc.id, 10)
			got := mustRun(t, append(append([]string{"decode"}, tc.args...), id)...)
			dc := ""
			if tc.want.DatacenterID != nil {
				dc = fmt.Sprintf("datacenter_id=%d ", *tc.want.DatacenterID)
			}
			want := fmt.Sprintf("id=%s time=%s %sworker_id=%d sequence=%d\n", id, tc.want.Time, dc, tc.want.WorkerID, tc.want.Sequence)
			if got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			id := strconv.FormatInt(tc.id, 10)
			out := mustRun(t, append(append([]string{"decode", "-o", "json"}, tc.args...), id)...)
			dc := ""
			if tc.want.DatacenterID != nil {
				dc = fmt.Sprintf(`"datacenter_id":%d,`, *tc.want.DatacenterID)
			}
			want := fmt.Sprintf(`{"id":"%s","time":"%s",%s"worker_id":%d,"sequence":%d}`+"\n", id, tc.want.Time, dc, tc.want.WorkerID, tc.want.Sequence)
			if out != want {
				t.Errorf("got  %s\nwant %s", out, want)
			}
		})
	}
}

func TestDecodeSeveral(t *testing.T) {
	out := mustRun(t, "decode", "-o", "json", "0", "4194324487", "+0042")
	got := jsonLinesOf[decoded](t, out)
	want := []decoded{
		{ID: "0", Time: "2010-11-04T01:42:54.657Z"},
		{ID: "4194324487", Time: "2010-11-04T01:42:55.657Z", WorkerID: 5, Sequence: 7},
		{ID: "42", Time: "2010-11-04T01:42:54.657Z", Sequence: 42},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	text := mustRun(t, "decode", "1", "2", "3")
	if n := strings.Count(text, "\n"); n != 3 {
		t.Errorf("text output has %d lines, want 3: %q", n, text)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a number", []string{"abc"}, `decode "abc": bad ID: not a decimal number`},
		{"a fraction", []string{"1.5"}, `decode "1.5": bad ID: not a decimal number`},
		{"hex", []string{"0x10"}, `decode "0x10": bad ID: not a decimal number`},
		{"empty", []string{""}, `decode "": bad ID: not a decimal number`},
		{"spaces", []string{" 5"}, `decode " 5": bad ID: not a decimal number`},
		{"negative", []string{"--", "-5"}, `decode "-5": bad ID: negative; IDs are 0..9223372036854775807`},
		{"negative, taken for a flag", []string{"-5"}, `decode "-5": bad ID: negative`},
		{"negative after good", []string{"1", "-17"}, `decode "-17": bad ID: negative`},
		{"very negative", []string{"--", "-99999999999999999999"}, `decode "-99999999999999999999": bad ID: negative`},
		{"above int64", []string{"9223372036854775808"}, `decode "9223372036854775808": bad ID: above the largest ID, 9223372036854775807`},
		{"good then bad", []string{"1", "x"}, `decode "x": bad ID`},
		{"no IDs", nil, "decode: bad ID: give at least one ID"},
		{"beyond a narrow layout", []string{"--layout.time-bits", "30", "9223372036854775807"},
			`decode "9223372036854775807": snowflake: bad ID: 9223372036854775807 has time bits beyond the layout's 30`},
		{"unknown output", []string{"-o", "xml", "1"}, `unknown output format -o "xml": want one of text, json`},
		{"unknown preset", []string{"--layout.preset", "nope", "1"}, `layout.preset "nope"`},
		{"bad bits", []string{"--layout.sequence-bits", "60", "1"}, "bits sum to more than 63"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantOneLineError(t, []string{tc.want}, append([]string{"decode"}, tc.args...)...)
		})
	}
}

func TestDecodeErrorsWrapSentinels(t *testing.T) {
	if _, err := execute(t, "decode", "abc"); !errors.Is(err, errBadID) {
		t.Errorf("non-numeric: %v, want errBadID", err)
	}
	if _, err := execute(t, "decode", "--layout.time-bits", "20", "9223372036854775807"); !errors.Is(err, snowflake.ErrBadID) {
		t.Errorf("beyond layout: %v, want snowflake.ErrBadID", err)
	}
	if _, err := execute(t, "decode", "-o", "csv", "1"); !errors.Is(err, errBadOutput) {
		t.Errorf("bad -o: %v, want errBadOutput", err)
	}
}

// FuzzDecodeID checks that any argument either fails with errBadID or
// snowflake.ErrBadID, or decodes into parts that compose back to the ID.
func FuzzDecodeID(f *testing.F) {
	for _, seed := range []string{"0", "4194324487", "9223372036854775807", "-1", "abc", "+1", "", "00012", "9223372036854775808"} {
		f.Add(seed)
	}
	layouts := []snowflake.Layout{snowflake.Twitter(), mustPreset(f, "sonyflake"), mustPreset(f, "uidgenerator"), mustPreset(f, "twitter-dc"),
		{TimeBits: 20, TimeUnit: 7 * time.Millisecond, WorkerBits: 3, SequenceBits: 5, Epoch: snowflake.Twitter().Epoch},
		{TimeBits: 20, TimeUnit: 7 * time.Millisecond, DatacenterBits: 2, WorkerBits: 3, SequenceBits: 5, Epoch: snowflake.Twitter().Epoch}}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, l := range layouts {
			d, err := decodeID(l, arg)
			if err != nil {
				if !errors.Is(err, errBadID) && !errors.Is(err, snowflake.ErrBadID) {
					t.Fatalf("decodeID(%q): %v wraps neither errBadID nor snowflake.ErrBadID", arg, err)
				}
				continue
			}
			tm, err := time.Parse(time.RFC3339Nano, d.Time)
			if err != nil {
				t.Fatalf("time %q: %v", d.Time, err)
			}
			if (d.DatacenterID != nil) != l.HasDatacenter() {
				t.Fatalf("decodeID(%q) in %s = %+v: a datacenter ID must be shown exactly when the layout has the field", arg, l, d)
			}
			var dc int64
			if d.DatacenterID != nil {
				dc = *d.DatacenterID
			}
			id, err := l.Compose(snowflake.Parts{Tick: l.TickOf(tm), DatacenterID: dc, WorkerID: d.WorkerID, Sequence: d.Sequence})
			if err != nil || strconv.FormatInt(id, 10) != d.ID {
				t.Fatalf("decodeID(%q) = %+v; composes back to %d, %v", arg, d, id, err)
			}
		}
	})
}

func mustPreset(f *testing.F, name string) snowflake.Layout {
	l, err := snowflake.Preset(name)
	if err != nil {
		f.Fatal(err)
	}
	return l
}
