package etcd

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

// RoundTrips returns the number of etcd requests made while acquiring.
func RoundTrips() int64 { return roundTrips.Load() }

// CountingTrips returns a context under which the round trips of one
// acquisition are counted in n as well.
func CountingTrips(ctx context.Context) (_ context.Context, n *atomic.Int64) {
	n = new(atomic.Int64)
	return context.WithValue(ctx, tripCounterKey{}, n), n
}

// PeerReads returns how many times CachedPeers (its watch included) read
// every peer record from the store.
func PeerReads(b *Backend) int64 { return b.peerCopy.reads.Load() }

// PeerCopy returns the copy behind CachedPeers without reading the store,
// and false while it is not in step with the watch.
func PeerCopy(b *Backend) ([]coord.Peer, bool) { return b.peerCopy.list() }

// AfterListing makes f run between an acquisition's first listing and its
// first claim, until the test ends.
func AfterListing(t testing.TB, f func()) {
	afterListing = f
	t.Cleanup(func() { afterListing = nil })
}
