package leafalloc

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/idcoord/idcoord/coord"
)

// Errors of this package, tested with errors.Is.
var (
	// ErrBadTSV: the input is not what `mysql --batch -e 'SELECT
	// biz_tag,max_id,step,description FROM leaf_alloc'` prints. The error
	// names the line.
	ErrBadTSV = errors.New("leafalloc: not mysql --batch output of biz_tag,max_id,step,description")
	// ErrBadRow: a leaf_alloc row that cannot be imported as it is. The
	// error names the tag (and the line of a TSV); one that CheckTag
	// refuses wraps coord.ErrBadTag as well.
	ErrBadRow = errors.New("leafalloc: leaf_alloc row cannot be imported")
	// ErrBadMargin: a negative margin.
	ErrBadMargin = errors.New("leafalloc: margin must not be negative")
	// ErrLeafDB: Leaf's database could not be read.
	ErrLeafDB = errors.New("leafalloc: cannot read leaf_alloc")
)

// Row is one row of Leaf's leaf_alloc table: the tag, its max_id (an
// exclusive bound: every ID Leaf handed out for Tag is below it), its
// step, and its description (empty for NULL).
type Row struct {
	Tag         string
	MaxID, Step int64
	Description string
}

// Columns are the columns read from leaf_alloc, in the order ReadTSV wants
// them.
var Columns = [...]string{"biz_tag", "max_id", "step", "description"}

// CheckRows reports the first reason rows cannot be imported with margin:
// a negative margin (ErrBadMargin), or a row that checkRow refuses, or two
// rows of one tag, or a max_id that margin pushes past the largest int64
// (ErrBadRow, naming the tag).
func CheckRows(rows []Row, margin int64) error {
	if margin < 0 {
		return fmt.Errorf("%w: %d", ErrBadMargin, margin)
	}
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		if err := checkRow(r); err != nil {
			return fmt.Errorf("%w: %w", ErrBadRow, err)
		}
		if seen[r.Tag] {
			return fmt.Errorf("%w: biz_tag %q appears twice", ErrBadRow, r.Tag)
		}
		seen[r.Tag] = true
		if r.MaxID > math.MaxInt64-margin {
			return fmt.Errorf("%w: biz_tag %q: max_id %d + margin %d is past the largest int64, %d",
				ErrBadRow, r.Tag, r.MaxID, margin, int64(math.MaxInt64))
		}
	}
	return nil
}

// checkRow reports what keeps r from becoming a segments/<tag> record.
// The limits are coord's.
func checkRow(r Row) error {
	if err := coord.CheckTag(r.Tag); err != nil {
		return fmt.Errorf("biz_tag %q: %w", r.Tag, err)
	}
	switch {
	case r.MaxID < 0:
		return fmt.Errorf("biz_tag %q: max_id %d is negative", r.Tag, r.MaxID)
	case r.Step < 1 || r.Step > coord.MaxSegmentStep:
		return fmt.Errorf("biz_tag %q: step %d is outside 1..%d", r.Tag, r.Step, coord.MaxSegmentStep)
	case len(r.Description) > coord.MaxDescriptionBytes:
		return fmt.Errorf("biz_tag %q: description is %d bytes; a segment record holds at most %d",
			r.Tag, len(r.Description), coord.MaxDescriptionBytes)
	}
	return nil
}

// parseInt reads the decimal integer of column col, saying what is wrong
// when it is not one or does not fit in int64.
func parseInt(col, text string) (int64, error) {
	n, err := strconv.ParseInt(text, 10, 64)
	var ne *strconv.NumError
	switch {
	case err == nil:
		return n, nil
	case errors.As(err, &ne) && ne.Err == strconv.ErrRange:
		return 0, fmt.Errorf("%s %s does not fit in an int64 (%d..%d)", col, text, int64(math.MinInt64), int64(math.MaxInt64))
	}
	return 0, fmt.Errorf("%s %q is not an integer", col, text)
}

// rowOf makes a Row of the columns' text and checks it; any error names
// the tag.
func rowOf(tag, maxID, step, description string) (Row, error) {
	r := Row{Tag: tag, Description: description}
	var err error
	if r.MaxID, err = parseInt("max_id", maxID); err != nil {
		return Row{}, fmt.Errorf("biz_tag %q: %w", tag, err)
	}
	if r.Step, err = parseInt("step", step); err != nil {
		return Row{}, fmt.Errorf("biz_tag %q: %w", tag, err)
	}
	return r, checkRow(r)
}
