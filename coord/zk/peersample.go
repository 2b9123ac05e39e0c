package zkcoord

import (
	"context"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

var _ coord.PeerSampler = (*Backend)(nil)

// SamplePeers lists leaf_temporary/ (names only, one request), draws at
// most k names other than self uniformly at random, and reads those
// records, all at once: 1 + k requests whatever the cluster's size. A
// record gone since the listing, or one that cannot be decoded (logged), is
// left out of the sample; others counts every listed name but self.
func (b *Backend) SamplePeers(ctx context.Context, k int, self string) ([]coord.Peer, int, error) {
	names, err := b.children(ctx, b.p.peers)
	if err != nil {
		return nil, 0, err
	}
	others := make([]string, 0, len(names))
	for _, n := range names {
		if n != self {
			others = append(others, n)
		}
	}
	drawn := coord.Draw(others, k)
	zs, err := b.getAll(ctx, b.p.peers, drawn)
	if err != nil {
		return nil, 0, b.opErr("reading "+b.p.peers, err)
	}
	sample := make([]coord.Peer, 0, len(drawn))
	for i, z := range zs {
		if z.data == nil {
			continue // gone since the listing
		}
		p, err := decodeJSON[coord.Peer](b.p.peer(drawn[i]), z.data)
		if err != nil {
			b.log.Warn("skipping a bad peer record", zap.Error(err))
			continue
		}
		sample = append(sample, p)
	}
	return sample, len(others), nil
}
