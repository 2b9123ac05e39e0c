package etcd

import (
	"context"
	"sync/atomic"
	"testing"
)

// RoundTrips returns the number of etcd requests made while acquiring.
func RoundTrips() int64 { return roundTrips.Load() }

// CountingTrips returns a context under which the round trips of one
// acquisition are counted in n as well.
func CountingTrips(ctx context.Context) (_ context.Context, n *atomic.Int64) {
	n = new(atomic.Int64)
	return context.WithValue(ctx, tripCounterKey{}, n), n
}

// PeerReads returns how many transactions or listings SamplePeers made.
func PeerReads(b *Backend) int64 { return b.peerReads.Load() }

// AfterListing makes f run between an acquisition's first listing and its
// first claim, until the test ends.
func AfterListing(t testing.TB, f func()) {
	afterListing = f
	t.Cleanup(func() { afterListing = nil })
}
