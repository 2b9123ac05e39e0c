package idcoord

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idcoord/idcoord/coord"
)

var reasons = []string{ReasonAcquiring, ReasonNoWorkerID, ReasonStoreUnreachable, ReasonLeaseLost, ReasonLeaseDeadline,
	ReasonWindowExpired, ReasonClockDrift, ReasonClockBehind, ReasonClaimFloor, ReasonClockAhead, "closed"}

// Collector returns a Prometheus collector for the node's state, read from
// Status at each scrape.
func (n *Node) Collector() prometheus.Collector { return collector{n} }

type collector struct{ n *Node }

var (
	descReady      = prometheus.NewDesc("idcoord_ready", "1 while the node can issue IDs.", nil, nil)
	descNotReady   = prometheus.NewDesc("idcoord_not_ready", "1 for the reason the node is not ready, 0 for the others.", []string{"reason"}, nil)
	descWorkerID   = prometheus.NewDesc("idcoord_worker_id", "WorkerId held, -1 for none.", nil, nil)
	descLeaseLeft  = prometheus.NewDesc("idcoord_lease_seconds_left", "Time to the lease deadline.", nil, nil)
	descWAhead     = prometheus.NewDesc("idcoord_high_water_ahead_seconds", "How far the reserved window W is ahead of the clock.", nil, nil)
	descPeerOffset = prometheus.NewDesc("idcoord_peer_clock_offset_seconds", "Last measured offset of a peer's clock (positive: peer ahead).", []string{"peer"}, nil)
	descMeanOffset = prometheus.NewDesc("idcoord_peer_clock_mean_offset_seconds", "Mean offset of the peers that answered.", nil, nil)
	descSteps      = prometheus.NewDesc("idcoord_clock_steps_total", "Wall-clock steps seen against the monotonic clock.", []string{"direction"}, nil)
	descRollbacks  = prometheus.NewDesc("idcoord_clock_rollbacks_total", "Backward steps too large to wait out, by how they were handled.", []string{"handling"}, nil)
	descSeqWaits   = prometheus.NewDesc("idcoord_sequence_exhaustion_waits_total", "Waits for the next tick after a tick's sequence ran out.", nil, nil)
	descWaits      = prometheus.NewDesc("idcoord_clock_rollback_waits_total", "Small backward steps waited out.", nil, nil)
	descDrift      = prometheus.NewDesc("idcoord_clock_drift_refusals_total", "Peer checks that found the clock over clock.max-drift.", nil, nil)
	descCeiling    = prometheus.NewDesc("idcoord_window_refusals_total", "Requests refused because the clock passed W.", nil, nil)
	descBadRecords = prometheus.NewDesc("idcoord_store_bad_records_total", "WorkerIds skipped while acquiring over a store record that needs an operator (a W that cannot be read, a holder record that never expires).", nil, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReady, descNotReady, descWorkerID, descLeaseLeft, descWAhead, descPeerOffset,
		descMeanOffset, descSteps, descRollbacks, descSeqWaits, descWaits, descDrift, descCeiling, descBadRecords} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.n.Status()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descReady, boolFloat(s.Ready))
	for _, r := range reasons {
		gauge(descNotReady, boolFloat(s.ReasonCode == r), r)
	}
	gauge(descWorkerID, float64(s.WorkerID))
	gauge(descLeaseLeft, s.LeaseLeftSeconds)
	gauge(descWAhead, s.HighWaterAheadSeconds)
	for peer, off := range s.Clock.PeerOffsets {
		gauge(descPeerOffset, off, peer)
	}
	gauge(descMeanOffset, s.Clock.MeanOffset)
	counter(descSteps, s.Clock.StepsForward, "forward")
	counter(descSteps, s.Clock.StepsBackward, "backward")
	counter(descRollbacks, s.Clock.FreshWorkerIDs, "fresh_worker_id")
	counter(descRollbacks, s.Clock.Rollbacks-s.Clock.FreshWorkerIDs, "waited")
	counter(descSeqWaits, s.Generator.SequenceWaits)
	counter(descWaits, s.Generator.RollbackWaits)
	counter(descDrift, s.Clock.DriftRefusals)
	counter(descCeiling, s.Generator.CeilingHits)
	if b, ok := c.n.cfg.Backend.(coord.BadRecordCounter); ok {
		counter(descBadRecords, b.BadRecords())
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
