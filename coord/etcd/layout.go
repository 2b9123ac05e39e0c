package etcd

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Layout stores proposed under layout unless a layout is stored, and
// returns the stored one, in one transaction:
// If(CreateRevision(layout) == 0) Then put Else get. So of two first nodes
// that propose at once, one stores its layout and the other reads it. The
// key is persistent (no lease) and nothing in this package rewrites it.
func (b *Backend) Layout(ctx context.Context, proposed coord.LayoutRecord) (coord.LayoutRecord, error) {
	resp, err := b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(coord.LayoutKey), "=", 0)).
		Then(clientv3.OpPut(coord.LayoutKey, string(proposed.Encode()))).
		Else(clientv3.OpGet(coord.LayoutKey)).
		Commit()
	if err != nil {
		return coord.LayoutRecord{}, fmt.Errorf("%w: storing the layout of cluster %q: %v", storeFault(err), b.cfg.Cluster, err)
	}
	if resp.Succeeded {
		b.cfg.Logger.Info("stored the cluster's layout", zap.String("cluster", b.cfg.Cluster), zap.Stringer("layout", proposed))
		b.knowRange(proposed.MaxWorkerID())
		return proposed, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 { // the compare saw the key, so the same revision holds it
		return coord.LayoutRecord{}, fmt.Errorf("%w: %s exists but read empty", coord.ErrBadRecord, b.layoutKey())
	}
	stored, err := coord.DecodeLayout(b.layoutKey(), kvs[0].Value)
	if err != nil {
		return coord.LayoutRecord{}, err
	}
	agreed, err := coord.AgreeLayout(b.cfg.Cluster, stored, proposed)
	if err == nil {
		b.knowRange(agreed.MaxWorkerID())
	}
	return agreed, err
}

// StoredLayout reads the cluster's layout, writing nothing.
func (b *Backend) StoredLayout(ctx context.Context) (coord.LayoutRecord, bool, error) {
	resp, err := b.kv.Get(ctx, coord.LayoutKey)
	if err != nil {
		return coord.LayoutRecord{}, false, fmt.Errorf("%w: reading the layout of cluster %q: %v", storeFault(err), b.cfg.Cluster, err)
	}
	if len(resp.Kvs) == 0 {
		return coord.LayoutRecord{}, false, nil
	}
	stored, err := coord.DecodeLayout(b.layoutKey(), resp.Kvs[0].Value)
	if err != nil {
		return coord.LayoutRecord{}, false, err
	}
	return stored, true, nil
}

// layoutKey is the full key of the layout, for messages.
func (b *Backend) layoutKey() string { return Prefix(b.cfg.Cluster) + coord.LayoutKey }
