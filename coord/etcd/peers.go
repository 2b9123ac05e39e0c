package etcd

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Peers lists leaf_temporary/.
func (b *Backend) Peers(ctx context.Context) ([]coord.Peer, error) {
	resp, err := b.kv.Get(ctx, temporaryDir, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("%w: listing peers: %v", storeFault(err), err)
	}
	peers := make([]coord.Peer, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		p, err := decode[coord.Peer](string(kv.Key), kv.Value)
		if err != nil {
			b.cfg.Logger.Warn("skipping a bad peer record", zap.Error(err))
			continue
		}
		peers = append(peers, p)
	}
	return peers, nil
}
