package sidecar

import (
	"context"
	"errors"
	"fmt"

	"github.com/idcoord/idcoord/coord"
)

// SegmentSource serves segment IDs (segment mode). idcoord's *Node
// satisfies it. Implementations must be safe for concurrent use.
type SegmentSource interface {
	// AppendSegmentIDs appends n IDs of tag (1 <= n <= max-batch) to dst,
	// in increasing order. The server checks the tag with coord.CheckTag
	// before it asks. An error wrapping coord.ErrNoSegment is an unknown
	// tag (NOTFOUND, 404); one wrapping coord.ErrBadTag a bad request
	// (BADREQUEST, 400); any other means no ID is safe to issue now
	// (UNAVAILABLE, 503). On error the server sends none of the IDs that
	// may have been appended. ctx is cancelled when the request's client
	// goes away or the server is closed.
	AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error)
}

// noSegments is the reason given for every segment request to a server
// without a SegmentSource.
const noSegments = "segment mode is not served here"

// issue asks for n IDs appended to dst: Snowflake IDs from the Source when
// seg is false, else IDs of tag from the SegmentSource. It returns the IDs,
// or a result other than resultOK and a reason.
func (s *Server) issue(ctx context.Context, seg bool, tag string, dst []int64, n int) ([]int64, result, string) {
	var ids []int64
	var err error
	if !seg {
		ids, err = s.src.AppendIDs(ctx, dst, n)
	} else {
		if err := coord.CheckTag(tag); err != nil {
			return dst, resultBadRequest, err.Error()
		}
		if s.segs == nil {
			return dst, resultNotFound, fmt.Sprintf("%s: no tag %q", noSegments, tag)
		}
		ids, err = s.segs.AppendSegmentIDs(ctx, tag, dst, n)
	}
	switch {
	case err != nil && s.ctx.Err() != nil:
		return ids, resultUnavailable, "server is closing"
	case err != nil && seg && errors.Is(err, coord.ErrNoSegment):
		return ids, resultNotFound, err.Error()
	case err != nil && seg && errors.Is(err, coord.ErrBadTag):
		return ids, resultBadRequest, err.Error()
	case err != nil:
		return ids, resultUnavailable, err.Error()
	case len(ids)-len(dst) != n:
		return ids, resultInternal, fmt.Sprintf("source issued %d IDs, asked for %d", len(ids)-len(dst), n)
	}
	return ids, resultOK, ""
}
