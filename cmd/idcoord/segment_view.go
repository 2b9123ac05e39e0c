package main

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/idcoord/idcoord/coord"
)

// segmentView is one tag as the segment commands print it in JSON and
// YAML. Every field is always present: a record that cannot be read has
// null fields and its error; a readable one a null error.
type segmentView struct {
	Tag         string  `json:"tag" yaml:"tag"`
	MaxID       *int64  `json:"max_id" yaml:"max_id"`
	Step        *int64  `json:"step" yaml:"step"`
	Description *string `json:"description" yaml:"description"`
	// UpdateTime is the last write (RFC 3339, UTC); null if never set.
	UpdateTime *string `json:"update_time" yaml:"update_time"`
	Error      *string `json:"error" yaml:"error"`
}

// segmentList is the JSON and YAML document of segment ls.
type segmentList struct {
	Segments []segmentView `json:"segments" yaml:"segments"`
}

// newSegmentView shapes tag's record r.
func newSegmentView(tag string, r coord.SegmentRecord) segmentView {
	v := segmentView{Tag: tag, MaxID: ptr(r.MaxID), Step: ptr(r.Step), Description: ptr(r.Description)}
	if r.UpdateTime != 0 {
		v.UpdateTime = ptr(formatTime(time.UnixMilli(r.UpdateTime)))
	}
	return v
}

// entryView shapes one entry of ListSegments.
func entryView(e coord.SegmentEntry) segmentView {
	if e.Err != nil {
		return segmentView{Tag: e.Tag, Error: ptr(e.Err.Error())}
	}
	return newSegmentView(e.Tag, e.Record)
}

// segmentHeader heads the columns of segmentCells.
var segmentHeader = []string{"TAG", "MAX_ID", "STEP", "UPDATED", "DESCRIPTION"}

// segmentCells is one row of the segment ls table.
func segmentCells(v segmentView) []string {
	if v.Error != nil {
		return []string{v.Tag, "-", "-", "-", "unreadable: " + printable(*v.Error)}
	}
	updated := "-"
	if v.UpdateTime != nil {
		updated = *v.UpdateTime
	}
	return []string{v.Tag, strconv.FormatInt(*v.MaxID, 10), strconv.FormatInt(*v.Step, 10), updated, orDash(printable(*v.Description))}
}

// writeSegmentRecord prints one tag as lines of "Key: value".
func writeSegmentRecord(w io.Writer, v segmentView) error {
	cells := segmentCells(v)
	return table(w, [][]string{
		{"Tag:", cells[0]},
		{"Max ID:", cells[1] + " (the next segment starts there)"},
		{"Step:", cells[2]},
		{"Updated:", cells[3]},
		{"Description:", cells[4]},
	})
}

// printable quotes s when it holds a character a table cannot show on one
// line (a tab, a newline, a control character).
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}
