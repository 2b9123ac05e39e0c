package idcoord

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
)

// ErrNoSegments: the Backend does not keep segment records
// (coord.SegmentStore), so the node serves no segment IDs.
var ErrNoSegments = errors.New("idcoord: this store keeps no segments")

// startSegments opens segment mode on the Backend, when it keeps segment
// records. Segment IDs need neither the WorkerID nor the clock guard: every
// one lies in a segment that a compare-and-swap on segments/<tag> gave this
// node alone (see package coord/segment).
func (n *Node) startSegments() error {
	if n.cfg.SegmentAllocator != nil {
		n.segments = n.cfg.SegmentAllocator
		return nil
	}
	cfg := n.cfg.Segments
	if cfg.Store == nil {
		store, ok := n.cfg.Backend.(coord.SegmentStore)
		if !ok {
			return nil
		}
		cfg.Store = store
	}
	if cfg.Logger == nil {
		cfg.Logger = n.log.Named("segment")
	}
	if cfg.Floors == nil {
		floors, err := OpenSegmentFloors(n.cfg.HistoryDir, n.cfg.Node, func(err error) { n.log.Warn("segment floors", zap.Error(err)) })
		if err != nil {
			return err
		}
		cfg.Floors = floors
	}
	alloc, err := segment.New(cfg)
	if err != nil {
		return fmt.Errorf("idcoord: segment mode: %w", err)
	}
	n.segments = alloc
	return nil
}

// OpenSegmentFloors opens the file in a node's history folder
// (Config.HistoryDir) where it keeps the highest segment it took per tag: a
// floor that outlives a store restored from an older backup. It returns
// nil for an empty historyDir. A folder that cannot be made (a read-only
// file system) is not an error: the node runs without the file and says so
// through warn, as it does for its W history. A file that cannot be read
// is an error.
func OpenSegmentFloors(historyDir, node string, warn func(error)) (segment.Floors, error) {
	if historyDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(historyDir, 0o750); err != nil {
		warn(fmt.Errorf("idcoord: no segment floors kept (%w); a store restored from an older backup could then repeat segment IDs after a restart", err))
		return nil, nil
	}
	floors, err := segment.OpenFloorFile(filepath.Join(historyDir, "segments-"+node+".json"))
	if err != nil {
		return nil, fmt.Errorf("idcoord: %w", err)
	}
	return floors, nil
}

// Segments returns the node's segment allocator, or nil when the Backend
// keeps no segment records. It is the node's own: Close closes it.
func (n *Node) Segments() *segment.Allocator { return n.segments }

// NextSegmentID returns the next segment ID of tag. See AppendSegmentIDs.
func (n *Node) NextSegmentID(ctx context.Context, tag string) (int64, error) {
	var one [1]int64
	ids, err := n.AppendSegmentIDs(ctx, tag, one[:0], 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AppendSegmentIDs appends count IDs of tag to dst, each above the last
// one this node handed out for tag. It serves while the node is not ready
// for Snowflake IDs, as long as the store answers or a loaded segment
// lasts. Errors wrap coord.ErrNoSegment (unknown tag), coord.ErrBadTag,
// segment.ErrUnavailable, ErrNoSegments, ErrClosed, or ctx's error.
func (n *Node) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, count int) ([]int64, error) {
	if n.segments == nil {
		return dst, fmt.Errorf("%w (tag %q)", ErrNoSegments, tag)
	}
	ids, err := n.segments.AppendIDs(ctx, tag, dst, count)
	if errors.Is(err, segment.ErrClosed) {
		return ids, fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return ids, err
}

// closeSegments stops the allocator's background fetches; the rest of the
// loaded segments is skipped (a gap, never a repeat).
func (n *Node) closeSegments() {
	if n.segments != nil {
		n.segments.Close()
	}
}
