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
// records, unless the caller opened it (Config.SegmentAllocator). Segment
// IDs need neither the WorkerID nor the clock guard: every one lies in a
// segment that a compare-and-swap on segments/<tag> gave this node alone
// (see package coord/segment).
func (n *Node) startSegments() error {
	if n.cfg.SegmentAllocator != nil {
		n.segments = n.cfg.SegmentAllocator
		return nil
	}
	alloc, err := OpenSegments(n.cfg.Backend, n.cfg.Segments, n.cfg.HistoryDir, n.cfg.Node, n.log)
	n.segments = alloc
	return err
}

// OpenSegments opens a segment allocator as a Node does: cfg's Store nil
// means backend, when it keeps segment records (nil is returned, with no
// error, when it does not); its Logger nil means log's; its Floors nil means
// the file in historyDir where node keeps the highest segment it took per
// tag, a floor that outlives a store restored from an older backup (none
// without a historyDir). A folder that cannot be made (a read-only file
// system) is not an error: the allocator runs without the file and says so,
// as the node does for its W history. A file that cannot be read is an
// error. A caller that serves segment IDs before Start opens it with this
// and passes it as Config.SegmentAllocator.
func OpenSegments(backend coord.Backend, cfg segment.Config, historyDir, node string, log *zap.Logger) (*segment.Allocator, error) {
	if cfg.Store == nil {
		store, ok := backend.(coord.SegmentStore)
		if !ok {
			return nil, nil
		}
		cfg.Store = store
	}
	if cfg.Logger == nil {
		cfg.Logger = log.Named("segment")
	}
	if cfg.Floors == nil && historyDir != "" {
		if err := os.MkdirAll(historyDir, 0o750); err != nil {
			cfg.Logger.Warn("no segment floors kept: a store restored from an older backup could then repeat segment IDs after a restart", zap.Error(err))
		} else {
			floors, err := segment.OpenFloorFile(filepath.Join(historyDir, "segments-"+node+".json"))
			if err != nil {
				return nil, fmt.Errorf("idcoord: %w", err)
			}
			cfg.Floors = floors
		}
	}
	alloc, err := segment.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("idcoord: segment mode: %w", err)
	}
	return alloc, nil
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
