package leafalloc_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment/leafalloc"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCheckRows(t *testing.T) {
	ok := []leafalloc.Row{{Tag: "a", MaxID: math.MaxInt64 - 5, Step: 1}, {Tag: "b", MaxID: 1, Step: coord.MaxSegmentStep}}
	if err := leafalloc.CheckRows(ok, 5); err != nil {
		t.Fatalf("CheckRows(%+v, 5) = %v", ok, err)
	}
	tests := []struct {
		name   string
		rows   []leafalloc.Row
		margin int64
		is     error
		want   string
	}{
		{name: "margin past int64", rows: ok, margin: 6, is: leafalloc.ErrBadRow, want: `"a": max_id 9223372036854775802 + margin 6`},
		{name: "negative margin", rows: ok, margin: -1, is: leafalloc.ErrBadMargin, want: "-1"},
		{name: "duplicate", rows: []leafalloc.Row{{Tag: "a", MaxID: 1, Step: 1}, {Tag: "a", MaxID: 2, Step: 1}}, is: leafalloc.ErrBadRow, want: `"a" appears twice`},
		{name: "bad tag", rows: []leafalloc.Row{{Tag: "a/b", MaxID: 1, Step: 1}}, is: coord.ErrBadTag, want: `"a/b"`},
		{name: "step", rows: []leafalloc.Row{{Tag: "a", MaxID: 1, Step: -3}}, is: leafalloc.ErrBadRow, want: "step -3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := leafalloc.CheckRows(tt.rows, tt.margin)
			if !errors.Is(err, tt.is) || !strings.Contains(fmt.Sprint(err), tt.want) {
				t.Fatalf("CheckRows = %v, want %v holding %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	rows := []leafalloc.Row{
		{Tag: "new", MaxID: 3001, Step: 1000, Description: "d"},
		{Tag: "behind", MaxID: 500, Step: 100},
		{Tag: "ahead", MaxID: 500, Step: 100},
		{Tag: "level", MaxID: 500, Step: 100},
		{Tag: "broken", MaxID: 7, Step: 1},
	}
	bad := fmt.Errorf("%w: segments/broken is not a segment record", coord.ErrBadRecord)
	stored := []coord.SegmentEntry{
		{Tag: "ahead", Record: coord.SegmentRecord{MaxID: 900, Step: 50}},
		{Tag: "behind", Record: coord.SegmentRecord{MaxID: 520, Step: 50}},
		{Tag: "broken", Err: bad},
		{Tag: "level", Record: coord.SegmentRecord{MaxID: 600, Step: 100}},
		{Tag: "other", Record: coord.SegmentRecord{MaxID: 1, Step: 1}},
	}
	got, err := leafalloc.Plan(rows, stored, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []leafalloc.Action{
		{Kind: leafalloc.Keep, Tag: "ahead", Leaf: 500, From: 900, To: 900, Step: 50},
		{Kind: leafalloc.Raise, Tag: "behind", Leaf: 500, From: 520, To: 600, Step: 50},
		{Kind: leafalloc.Unreadable, Tag: "broken", Leaf: 7, Err: bad},
		{Kind: leafalloc.Keep, Tag: "level", Leaf: 500, From: 600, To: 600, Step: 100},
		{Kind: leafalloc.Create, Tag: "new", Leaf: 3001, To: 3101, Step: 1000},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Plan =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := leafalloc.Plan([]leafalloc.Row{{Tag: "x", MaxID: math.MaxInt64, Step: 1}}, nil, 1); !errors.Is(err, leafalloc.ErrBadRow) {
		t.Fatalf("Plan of a max_id the margin pushes past int64 = %v, want ErrBadRow", err)
	}
}
