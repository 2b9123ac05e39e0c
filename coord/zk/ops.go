package zkcoord

import (
	"context"
	"sync/atomic"
)

// Requests are counted, not timed: a count of ZooKeeper operations is the
// same on a busy machine and a quiet one, so tests can bound it. Every
// request the Backend sends counts in Backend.Ops; one sent with a context
// that carries a counter (withOpCount) counts there too.

// opCountKey is the context key of a request counter.
type opCountKey struct{}

// withOpCount returns ctx carrying n: every request sent with the returned
// context adds to n.
func withOpCount(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, opCountKey{}, n)
}

// countOps adds n requests to the counter ctx carries, if any.
func countOps(ctx context.Context, n int) {
	if c, ok := ctx.Value(opCountKey{}).(*atomic.Int64); ok {
		c.Add(int64(n))
	}
}

// Ops is the number of requests b has sent to ZooKeeper: reads, writes,
// syncs and multis (a multi is one request). go-zookeeper's own pings are
// not counted. Safe for concurrent use.
func (b *Backend) Ops() int64 { return b.ops.Load() }

// AcquireOps is the number of requests b's Acquire calls have sent to
// ZooKeeper, including those of claims lost to a race. Safe for concurrent
// use.
func (b *Backend) AcquireOps() int64 { return b.acquireOps.Load() }
