package sidecar

import (
	"context"

	"github.com/idcoord/idcoord/snowflake"
)

// Source is what the sidecar serves IDs from. idcoord's *Node satisfies it.
// Implementations must be safe for concurrent use. The status snapshot is
// not part of it (Config.Status, AdminConfig.Status), so that a source may
// return its own status type.
type Source interface {
	// AppendIDs issues n IDs (1 <= n <= max-batch) in increasing order and
	// appends them to dst. A non-nil error means nothing safe could be issued
	// now: the server answers UNAVAILABLE (503) with err.Error() as the
	// reason and sends none of the IDs that may have been appended. ctx is
	// cancelled when the request's client goes away or the server is closed.
	AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error)
	// Ready returns nil while it is safe to issue, else an error whose text is
	// the reason. It backs the admin /readyz endpoint.
	Ready() error
	// Layout is the ID layout, used by /decode.
	Layout() snowflake.Layout
}
