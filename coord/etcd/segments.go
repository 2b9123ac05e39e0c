package etcd

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
)

// Backend implements coord.SegmentStore on segments/<tag>: a persistent key,
// compared by its ModRevision.
var _ coord.SegmentStore = (*Backend)(nil)

// GetSegment reads segments/<tag>.
func (b *Backend) GetSegment(ctx context.Context, tag string) (coord.SegmentRecord, coord.SegmentVersion, error) {
	if b.isClosed() {
		return coord.SegmentRecord{}, 0, errClosed()
	}
	key := coord.SegmentKey(tag)
	resp, err := b.kv.Get(ctx, key)
	if err != nil {
		return coord.SegmentRecord{}, 0, b.segmentFault(ctx, "reading", key, err)
	}
	if len(resp.Kvs) == 0 {
		return coord.SegmentRecord{}, 0, fmt.Errorf("%w: %q in cluster %q", coord.ErrNoSegment, tag, b.cfg.Cluster)
	}
	kv := resp.Kvs[0]
	r, err := coord.DecodeSegment(Prefix(b.cfg.Cluster)+key, kv.Value)
	return r, coord.SegmentVersion(kv.ModRevision), err
}

// ListSegments reads every segments/ key in one range read.
func (b *Backend) ListSegments(ctx context.Context) ([]coord.SegmentEntry, error) {
	if b.isClosed() {
		return nil, errClosed()
	}
	resp, err := b.kv.Get(ctx, coord.SegmentsDir, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return nil, b.segmentFault(ctx, "listing", coord.SegmentsDir, err)
	}
	entries := make([]coord.SegmentEntry, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		tag := strings.TrimPrefix(string(kv.Key), coord.SegmentsDir)
		e := coord.SegmentEntry{Tag: tag, Version: coord.SegmentVersion(kv.ModRevision)}
		e.Record, e.Err = coord.DecodeSegment(Prefix(b.cfg.Cluster)+string(kv.Key), kv.Value)
		if e.Err == nil {
			if err := coord.CheckTag(tag); err != nil {
				e.Err = fmt.Errorf("%w: %s%s: %v", coord.ErrBadRecord, Prefix(b.cfg.Cluster), kv.Key, err)
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// PutSegment writes segments/<tag> in one transaction:
// If(ModRevision(key) == v) Then put. A key that does not exist has
// ModRevision 0, so v == 0 creates.
func (b *Backend) PutSegment(ctx context.Context, tag string, r coord.SegmentRecord, v coord.SegmentVersion) (coord.SegmentVersion, error) {
	if b.isClosed() {
		return 0, errClosed()
	}
	key := coord.SegmentKey(tag)
	resp, err := b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", int64(v))).
		Then(clientv3.OpPut(key, string(r.Encode()))).
		Commit()
	if err != nil {
		return 0, b.segmentFault(ctx, "writing", key, err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("%w: %s%s moved past revision %d", coord.ErrSegmentChanged, Prefix(b.cfg.Cluster), key, v)
	}
	return coord.SegmentVersion(resp.Header.Revision), nil
}

// segmentFault wraps an etcd error: ctx's own error when ctx ended, else
// the coord sentinel it stands for.
func (b *Backend) segmentFault(ctx context.Context, doing, key string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s%s: %w", doing, Prefix(b.cfg.Cluster), key, ctx.Err())
	}
	return fmt.Errorf("%w: %s %s%s: %v", storeFault(err), doing, Prefix(b.cfg.Cluster), key, err)
}
