package main

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/sidecar/console"
)

// idsIssuedMetric is the sidecar's counter of IDs sent to clients, the
// console's IDs/s.
const idsIssuedMetric = "idcoord_sidecar_ids_issued_total"

// consoleSources feed the web console from what serve has started so far:
// the node once it runs, the store once it is open.
type consoleSources struct {
	source *startingSource
	store  atomic.Pointer[coord.Backend]
}

// setStore lets the console read the fleet and the tags from b.
func (c *consoleSources) setStore(b coord.Backend) { c.store.Store(&b) }

func (c *consoleSources) node() (idcoord.Status, bool) {
	if n := c.source.node.Load(); n != nil {
		return n.Status(), true
	}
	return idcoord.Status{}, false
}

func (c *consoleSources) fleet(ctx context.Context) ([]coord.Holding, error) {
	if b := c.store.Load(); b != nil {
		if ins, ok := (*b).(coord.Inspector); ok {
			return ins.Holdings(ctx)
		}
	}
	return nil, errStoreNotOpen
}

func (c *consoleSources) segments(ctx context.Context) ([]coord.SegmentEntry, error) {
	if b := c.store.Load(); b != nil {
		if st, ok := (*b).(coord.SegmentStore); ok {
			return st.ListSegments(ctx)
		}
		return nil, nil
	}
	return nil, errStoreNotOpen
}

// newConsole builds the admin listener's "/" for serve.
func newConsole(c *consoleSources, s *settings, registry prometheus.Gatherer, clock clockguard.WallClock, log *zap.Logger) (*console.Console, error) {
	return console.New(console.Config{Node: c.node, Fleet: c.fleet, Segments: c.segments,
		IDsIssued: func() float64 { return counterValue(registry, idsIssuedMetric) },
		MaxDrift:  s.Clock.MaxDrift, Clock: clock, Logger: log.Named("console")})
}

// counterValue is the sum of the counter name in g, 0 when it is not there.
func counterValue(g prometheus.Gatherer, name string) float64 {
	mfs, err := g.Gather()
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
