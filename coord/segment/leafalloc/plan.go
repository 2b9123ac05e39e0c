package leafalloc

import (
	"cmp"
	"slices"

	"github.com/idcoord/idcoord/coord"
)

// Kind is what an import does, or did, to one tag.
type Kind string

// The kinds of Action.
const (
	// Create: the tag is missing; it is created with max_id Leaf's plus
	// the margin, and Leaf's step and description.
	Create Kind = "create"
	// Raise: the tag's max_id is below Leaf's plus the margin; it is raised
	// to that. Its step and description stay.
	Raise Kind = "raise"
	// Keep: the tag's max_id is already at or above Leaf's plus the margin;
	// nothing is written.
	Keep Kind = "keep"
	// Unreadable: the tag's record in the store cannot be decoded (Err
	// says why); an import stops there and writes nothing for it.
	Unreadable Kind = "unreadable"
)

// Action is what an import does to one tag.
type Action struct {
	Kind Kind
	Tag  string
	// Leaf is Leaf's max_id, as read.
	Leaf int64
	// From is the stored max_id before: 0 when the tag is missing.
	From int64
	// To is the max_id after: Leaf's plus the margin for Create and Raise,
	// From for Keep and Unreadable.
	To int64
	// Step is the tag's step after: Leaf's for Create, the stored one
	// otherwise.
	Step int64
	// Err is why the stored record cannot be read (Unreadable).
	Err error
}

// Plan returns what Apply would do to the tags of rows with margin, given
// the stored records (as coord.SegmentStore.ListSegments returns them), one
// Action per row, in tag order. It writes nothing and fails only as
// CheckRows does. Records of tags that are not in rows are left out: an
// import does not touch them.
func Plan(rows []Row, stored []coord.SegmentEntry, margin int64) ([]Action, error) {
	if err := CheckRows(rows, margin); err != nil {
		return nil, err
	}
	byTag := make(map[string]coord.SegmentEntry, len(stored))
	for _, e := range stored {
		byTag[e.Tag] = e
	}
	actions := make([]Action, 0, len(rows))
	for _, r := range sorted(rows) {
		a := Action{Tag: r.Tag, Leaf: r.MaxID, To: r.MaxID + margin}
		e, ok := byTag[r.Tag]
		switch {
		case !ok:
			a.Kind, a.Step = Create, r.Step
		case e.Err != nil:
			a.Kind, a.Err, a.To = Unreadable, e.Err, 0
		case e.Record.MaxID >= a.To:
			a.Kind, a.From, a.To, a.Step = Keep, e.Record.MaxID, e.Record.MaxID, e.Record.Step
		default:
			a.Kind, a.From, a.Step = Raise, e.Record.MaxID, e.Record.Step
		}
		actions = append(actions, a)
	}
	return actions, nil
}

// sorted returns a copy of rows in tag order.
func sorted(rows []Row) []Row {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b Row) int { return cmp.Compare(a.Tag, b.Tag) })
	return out
}
