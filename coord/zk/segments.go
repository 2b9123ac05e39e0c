package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// Backend implements coord.SegmentStore on /idcoord/<cluster>/segments/<tag>:
// persistent znodes, compared by their version.
var _ coord.SegmentStore = (*Backend)(nil)

// GetSegment reads segments/<tag>. Its version is the znode's version plus
// one (see segmentVersion).
func (b *Backend) GetSegment(ctx context.Context, tag string) (coord.SegmentRecord, coord.SegmentVersion, error) {
	if err := coord.CheckTag(tag); err != nil {
		return coord.SegmentRecord{}, 0, err
	}
	p := b.segmentPath(tag)
	z, err := do(ctx, b, func(c *gozk.Conn) (znode, error) {
		data, stat, err := c.Get(p)
		return znode{data, stat}, err
	})
	if errors.Is(err, gozk.ErrNoNode) {
		return coord.SegmentRecord{}, 0, fmt.Errorf("%w: %q in cluster %q", coord.ErrNoSegment, tag, b.cfg.Cluster)
	}
	if err != nil {
		return coord.SegmentRecord{}, 0, b.segmentFault(ctx, "reading", p, err)
	}
	r, err := coord.DecodeSegment(p, z.data)
	return r, segmentVersion(z.stat), err
}

// ListSegments lists segments/ and reads every child, with the reads in
// flight at once: the records are not read at one instant. A child deleted
// since the listing is left out.
func (b *Backend) ListSegments(ctx context.Context) ([]coord.SegmentEntry, error) {
	dir := b.segmentsDir()
	names, err := do(ctx, b, func(c *gozk.Conn) ([]string, error) {
		names, _, err := c.Children(dir)
		return names, err
	})
	if errors.Is(err, gozk.ErrNoNode) {
		return nil, nil // no tag was ever created
	}
	if err != nil {
		return nil, b.segmentFault(ctx, "listing", dir, err)
	}
	sort.Strings(names) // byte order, as etcd's range read returns keys
	zs, err := b.getAll(ctx, dir, names)
	if err != nil {
		return nil, b.segmentFault(ctx, "reading", dir, err)
	}
	entries := make([]coord.SegmentEntry, 0, len(names))
	for i, tag := range names {
		if zs[i].data == nil {
			continue // deleted since the listing
		}
		p := dir + "/" + tag
		e := coord.SegmentEntry{Tag: tag, Version: segmentVersion(zs[i].stat)}
		e.Record, e.Err = coord.DecodeSegment(p, zs[i].data)
		if e.Err == nil {
			if err := coord.CheckTag(tag); err != nil {
				e.Err = fmt.Errorf("%w: %s: %v", coord.ErrBadRecord, p, err)
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// PutSegment writes segments/<tag> through the leader: v == 0 creates the
// znode (and segments/ when it is missing), which fails when it exists;
// v > 0 sets it at znode version v-1, which fails when another write came
// in between or the znode was deleted. Either failure is
// coord.ErrSegmentChanged, and nothing is written.
//
// A caller that read a stale version from a follower and retries after
// ErrSegmentChanged reads the newer one: the leader orders a refused write
// after the write that made it fail, and the server answers it only once it
// has applied both, so a read that follows on the same session sees it.
func (b *Backend) PutSegment(ctx context.Context, tag string, r coord.SegmentRecord, v coord.SegmentVersion) (coord.SegmentVersion, error) {
	if err := coord.CheckTag(tag); err != nil {
		return 0, err
	}
	p := b.segmentPath(tag)
	data := r.Encode()
	if v == 0 {
		return b.createSegment(ctx, p, data)
	}
	want, ok := znodeVersion(v)
	if !ok {
		return 0, fmt.Errorf("%w: %s: version %d is no version of a znode", coord.ErrSegmentChanged, p, v)
	}
	stat, err := doLeader(ctx, b, func(c *gozk.Conn) (*gozk.Stat, error) { return c.Set(p, data, want) })
	switch {
	case errors.Is(err, gozk.ErrBadVersion):
		return 0, fmt.Errorf("%w: %s moved past version %d", coord.ErrSegmentChanged, p, v)
	case errors.Is(err, gozk.ErrNoNode):
		return 0, fmt.Errorf("%w: %s was deleted since version %d", coord.ErrSegmentChanged, p, v)
	case err != nil:
		return 0, b.segmentFault(ctx, "writing", p, err)
	}
	return segmentVersion(stat), nil
}

// createSegment creates the znode at p, at version 0 (SegmentVersion 1).
// When its folder is missing it creates /idcoord, the cluster's root and
// segments/, and tries once more.
func (b *Backend) createSegment(ctx context.Context, p string, data []byte) (coord.SegmentVersion, error) {
	create := func(c *gozk.Conn) (string, error) { return c.Create(p, data, gozk.FlagPersistent, b.cfg.ACL) }
	_, err := doLeader(ctx, b, create)
	if errors.Is(err, gozk.ErrNoNode) {
		for _, dir := range []string{"/idcoord", b.p.root, b.segmentsDir()} {
			if err := b.ensurePath(ctx, dir); err != nil {
				return 0, b.segmentFault(ctx, "creating", dir, err)
			}
		}
		_, err = doLeader(ctx, b, create)
	}
	switch {
	case errors.Is(err, gozk.ErrNodeExists):
		return 0, fmt.Errorf("%w: %s exists", coord.ErrSegmentChanged, p)
	case err != nil:
		return 0, b.segmentFault(ctx, "creating", p, err)
	}
	return 1, nil
}

// segmentsDir is the folder of the segment records.
func (b *Backend) segmentsDir() string {
	return b.p.root + "/" + strings.TrimSuffix(coord.SegmentsDir, "/")
}

// segmentPath is the znode of tag's record.
func (b *Backend) segmentPath(tag string) string { return b.p.root + "/" + coord.SegmentKey(tag) }

// segmentVersion is the coord.SegmentVersion of a znode: its version plus
// one, so that zero is left for "no record". The znode version is an int32;
// it is read as unsigned, so that a version a server wrapped past 2^31-1
// still maps to a positive SegmentVersion, distinct from its neighbours.
func segmentVersion(stat *gozk.Stat) coord.SegmentVersion {
	return coord.SegmentVersion(uint32(stat.Version)) + 1
}

// znodeVersion is the znode version that v stands for, the inverse of
// segmentVersion. It refuses a v that segmentVersion cannot return, and the
// one whose znode version is -1, which a set would read as "any version":
// after four billion writes the compare-and-swap cannot be made safely.
func znodeVersion(v coord.SegmentVersion) (int32, bool) {
	if v < 1 || v-1 > math.MaxUint32 {
		return 0, false
	}
	z := int32(uint32(v - 1))
	return z, z != -1
}

// segmentFault wraps a ZooKeeper error as the SegmentStore contract says:
// ctx's own error when ctx ended, coord.ErrClosed after Close, ErrDenied
// when the server refused the credentials or an ACL refused the call, and
// ErrUnreachable for anything else (a lost connection, an expired session,
// a local failure): the call's outcome is unknown.
func (b *Backend) segmentFault(ctx context.Context, doing, p string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("zkcoord: %s %s: %w", doing, p, ctx.Err())
	case errors.Is(err, coord.ErrClosed), errors.Is(err, coord.ErrUnreachable), errors.Is(err, coord.ErrDenied):
		return fmt.Errorf("zkcoord: %s %s: %w", doing, p, err)
	case b.closed():
		return fmt.Errorf("%w: the ZooKeeper backend was closed while %s %s: %v", coord.ErrClosed, doing, p, err)
	case errors.Is(err, gozk.ErrNoAuth), errors.Is(err, gozk.ErrAuthFailed):
		return fmt.Errorf("%w: %s %s: %v", coord.ErrDenied, doing, p, err)
	}
	return fmt.Errorf("%w: %s %s (ZooKeeper %v): %v", coord.ErrUnreachable, doing, p, b.cfg.Servers, err)
}

// closed reports whether Close was called.
func (b *Backend) closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.closed
}
