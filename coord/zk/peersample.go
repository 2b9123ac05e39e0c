package zkcoord

import (
	"context"

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
	return b.decodePeers(drawn, zs), len(others), nil
}
