package coord_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

func TestMergeHoldings(t *testing.T) {
	since := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	w := since.Add(time.Minute)
	report := func(wid int64, admin string) coord.Report {
		return coord.Report{Timestamp: since.Add(30 * time.Second).UnixMilli(), WorkerID: wid, Admin: admin}
	}
	reportPtr := func(wid int64, admin string) *coord.Report {
		r := report(wid, admin)
		return &r
	}
	tests := []struct {
		name    string
		live    []coord.Holding
		marks   []coord.Mark
		reports map[string]coord.Report
		want    []coord.Holding
	}{
		{name: "nothing", want: []coord.Holding{}},
		{
			name:    "live holder with its W and report",
			live:    []coord.Holding{{WorkerID: 3, Node: "a", Admin: "h:1", Since: since, LeaseLeft: 5 * time.Second}},
			marks:   []coord.Mark{{WorkerID: 3, W: w, Holder: "a"}},
			reports: map[string]coord.Report{"a": report(3, "h:1")},
			want: []coord.Holding{{WorkerID: 3, Node: "a", Admin: "h:1", Since: since, Live: true, LeaseLeft: 5 * time.Second,
				HighWater: w, LastReport: reportPtr(3, "h:1")}},
		},
		{
			name:    "released: node and admin from the mark and the report",
			marks:   []coord.Mark{{WorkerID: 4, W: w, Holder: "b"}},
			reports: map[string]coord.Report{"b": report(4, "h:2")},
			want:    []coord.Holding{{WorkerID: 4, Node: "b", Admin: "h:2", HighWater: w, LastReport: reportPtr(4, "h:2")}},
		},
		{
			name:    "a report alone makes a row",
			reports: map[string]coord.Report{"c": report(9, "h:3")},
			want:    []coord.Holding{{WorkerID: 9, Node: "c", Admin: "h:3", LastReport: reportPtr(9, "h:3")}},
		},
		{
			name:    "another node's report is not shown on a held row",
			live:    []coord.Holding{{WorkerID: 3, Node: "new", Admin: "h:9", Since: since}},
			reports: map[string]coord.Report{"old": report(3, "h:1")},
			want:    []coord.Holding{{WorkerID: 3, Node: "new", Admin: "h:9", Since: since, Live: true}},
		},
		{
			name:    "a report under another WorkerId stays on that one",
			live:    []coord.Holding{{WorkerID: 3, Node: "a", Admin: "h:1", Since: since}},
			marks:   []coord.Mark{{WorkerID: 2, W: w, Holder: "a"}},
			reports: map[string]coord.Report{"a": report(3, "h:1")},
			want: []coord.Holding{
				{WorkerID: 2, Node: "a", HighWater: w},
				{WorkerID: 3, Node: "a", Admin: "h:1", Since: since, Live: true, LastReport: reportPtr(3, "h:1")},
			},
		},
		{
			name: "two stale reports name one WorkerId: the first node by name takes the row",
			reports: map[string]coord.Report{
				"z": report(5, "h:z"),
				"m": report(5, "h:m"),
			},
			want: []coord.Holding{{WorkerID: 5, Node: "m", Admin: "h:m", LastReport: reportPtr(5, "h:m")}},
		},
		{
			name:  "sorted by WorkerId",
			live:  []coord.Holding{{WorkerID: 10, Node: "x"}, {WorkerID: 1, Node: "y"}},
			marks: []coord.Mark{{WorkerID: 5, Holder: "z"}},
			want:  []coord.Holding{{WorkerID: 1, Node: "y", Live: true}, {WorkerID: 5, Node: "z"}, {WorkerID: 10, Node: "x", Live: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := coord.MergeHoldings(tt.live, tt.marks, tt.reports)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("MergeHoldings =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestReportAge(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	if _, ok := (coord.Holding{}).ReportAge(now); ok {
		t.Fatal("ReportAge of a holding without a report says there is one")
	}
	h := coord.Holding{LastReport: &coord.Report{Timestamp: now.Add(-1500 * time.Millisecond).UnixMilli()}}
	if age, ok := h.ReportAge(now); !ok || age != 1500*time.Millisecond {
		t.Fatalf("ReportAge = %s, %v; want 1.5s, true", age, ok)
	}
}
