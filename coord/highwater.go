package coord

import (
	"fmt"
	"time"
)

// LatestHighWater is the latest W any layout can reach: a layout's lifetime
// is counted up to the end of year 9999 at most (snowflake.Layout.End). A W
// after it was written by no holder.
var LatestHighWater = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// HighWaterBounds narrows the W a record may hold to one layout's lifetime.
// The zero value adds no bound: a backend that does not know the layout
// checks only what holds under every layout.
type HighWaterBounds struct {
	// Epoch is the layout's tick 0: every ID it issues, and so every W a
	// holder reserves, lies after it.
	Epoch time.Time
	// End is the end of the layout's lifetime (snowflake.Layout.End).
	End time.Time
}

// CheckHighWater is the one rule for which W a record may hold. unixMS is W
// as the store keeps it, in unix milliseconds (etcd and ZooKeeper alike);
// record names it ("hw/3") for the error. It returns nil for a W some holder
// can have written, or 0 (no W yet: ZooKeeper creates hw/<wid> with 0), and
// otherwise an error wrapping ErrBadRecord that names the record, the value
// and the bound it breaks. It is safe for concurrent use.
//
// Why a W is refused rather than read: W is the floor of the next holder,
// which issues nothing at or before it. A W that was overwritten (by hand, by
// a bug) with a value below the true one makes the next holder repeat every
// ID between the two. The lost value cannot be recovered, so an impossible
// one stops the claim: a negative W, one before the layout's epoch (no ID of
// the layout lies there, so no holder reserved it), or one past the layout's
// lifetime (no clock of a node that started under the layout could reach
// it). A plausible but wrong W cannot be told from a right one; this check
// catches only what cannot be true.
func CheckHighWater(record string, unixMS int64, b HighWaterBounds) error {
	if unixMS == 0 {
		return nil // no W yet: nothing was ever reserved under this WorkerID
	}
	w := time.UnixMilli(unixMS).UTC()
	bad := func(why string) error {
		return fmt.Errorf("%w: %s: W %d ms (%s) %s; a W no holder can have written means the true one was lost, "+
			"and using it could repeat IDs: refusing it", ErrBadRecord, record, unixMS, w.Format(time.RFC3339Nano), why)
	}
	end, whose := LatestHighWater, "the latest any layout reaches"
	if !b.End.IsZero() && b.End.Before(end) {
		end, whose = b.End, "the end of the layout's lifetime"
	}
	switch {
	case unixMS < 0:
		return bad("is negative")
	case !b.Epoch.IsZero() && w.Before(b.Epoch):
		return bad("is before the layout's epoch " + b.Epoch.UTC().Format(time.RFC3339Nano))
	case w.After(end):
		return bad("is after " + end.UTC().Format(time.RFC3339) + ", " + whose)
	}
	return nil
}
