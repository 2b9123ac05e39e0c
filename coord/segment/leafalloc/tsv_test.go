package leafalloc_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment/leafalloc"
)

const tsvHeader = "biz_tag\tmax_id\tstep\tdescription\n"

func TestReadTSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []leafalloc.Row
	}{
		{name: "empty table: the client prints nothing", in: "", want: nil},
		{name: "header only", in: tsvHeader, want: nil},
		{
			name: "rows",
			in: tsvHeader +
				"leaf-segment-test\t2001\t1000\tTest leaf Segment Mode Get Id\n" +
				"order:pay-2\t9223372036854775807\t1000000000\tNULL\n" +
				"e\t0\t1\t\n",
			want: []leafalloc.Row{
				{Tag: "leaf-segment-test", MaxID: 2001, Step: 1000, Description: "Test leaf Segment Mode Get Id"},
				{Tag: "order:pay-2", MaxID: 9223372036854775807, Step: 1000000000},
				{Tag: "e", MaxID: 0, Step: 1},
			},
		},
		{
			name: "batch escapes in the description",
			in:   tsvHeader + "a\t1\t10\ttab\\there\\nnew line \\\\ back\\0nul\rcr\n",
			want: []leafalloc.Row{{Tag: "a", MaxID: 1, Step: 10, Description: "tab\there\nnew line \\ back\x00nul\rcr"}},
		},
		{
			name: "no newline after the last row",
			in:   tsvHeader + "a\t1\t10\tx",
			want: []leafalloc.Row{{Tag: "a", MaxID: 1, Step: 10, Description: "x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := leafalloc.ReadTSV(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadTSV: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ReadTSV = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadTSVErrors(t *testing.T) {
	long := strings.Repeat("x", coord.MaxDescriptionBytes+1)
	tests := []struct {
		name string
		in   string
		is   []error
		want []string // parts of the message
	}{
		{name: "no header", in: "a\t1\t10\tx\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 1", "header", "-N"}},
		{name: "CRLF header", in: strings.ReplaceAll(tsvHeader, "\n", "\r\n"), is: []error{leafalloc.ErrBadTSV}, want: []string{"line 1"}},
		{name: "three columns", in: tsvHeader + "a\t1\t10\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 2", "3 columns, want 4"}},
		{name: "five columns", in: tsvHeader + "a\t1\t10\tx\ty\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 2", "5 columns"}},
		{name: "empty line", in: tsvHeader + "a\t1\t10\tx\n\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 3", "1 columns"}},
		{name: "unknown escape", in: tsvHeader + "a\t1\t10\tx\\ry\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 2", "description", `"\\r"`}},
		{name: "lone backslash", in: tsvHeader + "a\t1\t10\tx\\\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 2", "lone backslash"}},
		{name: "bad tag", in: tsvHeader + "ok\t1\t10\tx\nor der\t1\t10\tx\n", is: []error{leafalloc.ErrBadRow, coord.ErrBadTag}, want: []string{"line 3", `"or der"`}},
		{name: "empty tag", in: tsvHeader + "\t1\t10\tx\n", is: []error{leafalloc.ErrBadRow, coord.ErrBadTag}, want: []string{"line 2", "empty"}},
		{name: "tag too long", in: tsvHeader + strings.Repeat("t", 129) + "\t1\t10\tx\n", is: []error{leafalloc.ErrBadRow, coord.ErrBadTag}, want: []string{"line 2", "129 bytes"}},
		{name: "max_id past int64", in: tsvHeader + "a\t9223372036854775808\t10\tx\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", `"a"`, "max_id 9223372036854775808 does not fit"}},
		{name: "max_id not a number", in: tsvHeader + "a\tNULL\t10\tx\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", `max_id "NULL" is not an integer`}},
		{name: "negative max_id", in: tsvHeader + "a\t-1\t10\tx\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", "max_id -1 is negative"}},
		{name: "step zero", in: tsvHeader + "a\t1\t0\tx\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", "step 0 is outside 1..1000000000"}},
		{name: "step too large", in: tsvHeader + "a\t1\t1000000001\tx\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", "step 1000000001"}},
		{name: "step past int64", in: tsvHeader + "a\t1\t99999999999999999999\tx\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", "does not fit"}},
		{name: "description too long", in: tsvHeader + "a\t1\t10\t" + long + "\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 2", "1025 bytes"}},
		{name: "duplicate tag", in: tsvHeader + "a\t1\t10\tx\nb\t1\t10\tx\na\t5\t10\ty\n", is: []error{leafalloc.ErrBadRow}, want: []string{"line 4", `"a"`, "line 2"}},
		{name: "line too long", in: tsvHeader + "a\t1\t10\t" + strings.Repeat("y", 70<<10) + "\n", is: []error{leafalloc.ErrBadTSV}, want: []string{"line 2", "longer than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := leafalloc.ReadTSV(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadTSV = %+v, want an error", rows)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %v", err, target)
				}
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not hold %q", err, part)
				}
			}
		})
	}
}

// escape is the client's batch escaping of one value.
func escape(s string) string {
	return strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\x00", "\\0").Replace(s)
}

// writeTSV prints rows as mysql --batch does, a NULL-free description
// as it is.
func writeTSV(rows []leafalloc.Row) string {
	var b strings.Builder
	b.WriteString(tsvHeader)
	for _, r := range rows {
		b.WriteString(strings.Join([]string{escape(r.Tag), itoa(r.MaxID), itoa(r.Step), escape(r.Description)}, "\t") + "\n")
	}
	return b.String()
}

func FuzzReadTSV(f *testing.F) {
	f.Add(tsvHeader + "leaf-segment-test\t2001\t1000\tTest\n")
	f.Add(tsvHeader + "a:b\t1\t10\tNULL\nc\t9223372036854775807\t1\ttab\\there\\\\\n")
	f.Add(tsvHeader + "a\t1\t10\tx\na\t2\t10\ty\n")
	f.Add("")
	f.Add(tsvHeader + "a\t1\t10\tx\\")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := leafalloc.ReadTSV(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, leafalloc.ErrBadTSV) && !errors.Is(err, leafalloc.ErrBadRow) {
				t.Fatalf("error %q is neither ErrBadTSV nor ErrBadRow", err)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error %q does not start with its line", err)
			}
			return
		}
		// What it accepts can be imported, and reads back the same.
		if err := leafalloc.CheckRows(rows, 0); err != nil {
			t.Fatalf("ReadTSV accepted rows that CheckRows refuses: %v", err)
		}
		for i := range rows {
			if rows[i].Description == "NULL" {
				t.Fatalf("row %d: the description NULL was read as text", i)
			}
		}
		again, err := leafalloc.ReadTSV(strings.NewReader(writeTSV(rows)))
		if err != nil || !slices.Equal(again, rows) {
			t.Fatalf("rows %+v read back as %+v, %v", rows, again, err)
		}
	})
}
