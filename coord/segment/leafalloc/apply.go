package leafalloc

import (
	"context"
	"fmt"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// Apply imports rows into store: for each row, in tag order, it makes the
// tag's max_id at least Leaf's plus margin with coord.RaiseSegment, which
// creates a missing tag (with Leaf's step and description), raises a lower
// max_id and never lowers one. It returns what it did, one Action per row
// done. Running it again with the same rows writes nothing.
//
// Rows are checked first (CheckRows): a bad row or margin writes nothing.
// A store error stops the import at that tag; the Actions before it were
// done, and running it again is safe. now is written as update_time.
func Apply(ctx context.Context, store coord.SegmentStore, rows []Row, margin int64, now time.Time) ([]Action, error) {
	if err := CheckRows(rows, margin); err != nil {
		return nil, err
	}
	done := make([]Action, 0, len(rows))
	for _, r := range sorted(rows) {
		want := coord.SegmentRecord{MaxID: r.MaxID + margin, Step: r.Step, Description: r.Description}
		before, after, wrote, err := coord.RaiseSegment(ctx, store, r.Tag, want, now)
		if err != nil {
			return done, fmt.Errorf("leafalloc: importing biz_tag %q: %w", r.Tag, err)
		}
		a := Action{Tag: r.Tag, Leaf: r.MaxID, From: before.MaxID, To: after.MaxID, Step: after.Step}
		switch {
		case !wrote:
			a.Kind = Keep
		case before.Step == 0: // a stored record has a step of at least 1
			a.Kind = Create
		default:
			a.Kind = Raise
		}
		done = append(done, a)
	}
	return done, nil
}
