package etcd

import (
	"context"
	"sync/atomic"
)

// RoundTrips returns the number of etcd requests made while acquiring.
func RoundTrips() int64 { return roundTrips.Load() }

// CountingTrips returns a context under which the round trips of one
// acquisition are counted in n as well.
func CountingTrips(ctx context.Context) (_ context.Context, n *atomic.Int64) {
	n = new(atomic.Int64)
	return context.WithValue(ctx, tripCounterKey{}, n), n
}
