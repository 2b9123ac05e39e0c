package scale

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// store is the coordination server a fleet runs on, as the test sees it:
// a client per node, and the server's counters.
type store interface {
	// name is the store's name and version, for the report.
	name() string
	// newBackend opens one node's own client to the store.
	newBackend(ctx context.Context, log *zap.Logger) (coord.Backend, error)
	// sample reads the server's counters and its CPU time.
	sample(ctx context.Context) (storeSample, error)
	// listingNote says which of the window's requests listed peers, as far
	// as the store's counters tell them apart.
	listingNote(r rates, nodes int) string
}

// storeSample is the server's counters at one moment. Writes and requests
// only grow; a rate is the difference of two samples over their interval.
type storeSample struct {
	at  time.Time
	cpu time.Duration // the server process's user + system time
	// writes counts writes (etcd: the store revision, one per write;
	// ZooKeeper: write requests processed), requests every request the
	// server received.
	writes, requests float64
	// kinds counts requests by kind, in the store's own terms (etcd: by
	// gRPC method; ZooKeeper: reads, writes, getChildren, getData).
	kinds map[string]float64
	// gauges are figures that do not accumulate (connections, znodes).
	gauges map[string]float64
}

// rates is what happened between two samples of a store, per second.
type rates struct {
	seconds          float64
	writes, requests float64
	cpuShare         float64 // of one core
	kinds            map[string]float64
	gauges           map[string]float64 // as of the later sample
}

// between returns the rates from a to b.
func between(a, b storeSample) rates {
	sec := b.at.Sub(a.at).Seconds()
	r := rates{
		seconds:  sec,
		writes:   (b.writes - a.writes) / sec,
		requests: (b.requests - a.requests) / sec,
		cpuShare: (b.cpu - a.cpu).Seconds() / sec,
		kinds:    map[string]float64{},
		gauges:   b.gauges,
	}
	for k, v := range b.kinds {
		r.kinds[k] = (v - a.kinds[k]) / sec
	}
	return r
}
