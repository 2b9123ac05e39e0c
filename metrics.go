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
	descMeanOffset = prometheus.NewDesc("idcoord_peer_clock_mean_offset_seconds", "Mean offset of the sampled peers that answered, wild ones set apart.", nil, nil)
	descSteps      = prometheus.NewDesc("idcoord_clock_steps_total", "Wall-clock steps seen against the monotonic clock.", []string{"direction"}, nil)
	descRollbacks  = prometheus.NewDesc("idcoord_clock_rollbacks_total", "Backward steps too large to wait out, by how they were handled.", []string{"handling"}, nil)
	descSeqWaits   = prometheus.NewDesc("idcoord_sequence_exhaustion_waits_total", "Waits for the next tick after a tick's sequence ran out.", nil, nil)
	descWaits      = prometheus.NewDesc("idcoord_clock_rollback_waits_total", "Small backward steps waited out.", nil, nil)
	descDrift      = prometheus.NewDesc("idcoord_clock_drift_refusals_total", "Peer checks that found the clock over clock.max-drift.", nil, nil)
	descCeiling    = prometheus.NewDesc("idcoord_window_refusals_total", "Requests refused because the clock passed W.", nil, nil)
	descLayoutLeft = prometheus.NewDesc("idcoord_layout_seconds_left", "Time until the layout's time bits run out and no ID can be issued.", nil, nil)
	descLayoutEnd  = prometheus.NewDesc("idcoord_layout_end_timestamp_seconds", "When the layout's time bits run out, in Unix seconds.", nil, nil)
	descHeld       = prometheus.NewDesc("idcoord_cluster_worker_ids_held", "WorkerIds the cluster's live nodes hold, as of the last peer listing.", nil, nil)
	descCapacity   = prometheus.NewDesc("idcoord_cluster_worker_ids_capacity", "WorkerIds the layout can hand out: its range less the reserved ones.", nil, nil)
	descStoreErrs  = prometheus.NewDesc("idcoord_store_errors_total", "Store operations of the node that failed (unreachable, denied, unreadable record), by operation.", []string{"op"}, nil)
	descBadRecords = prometheus.NewDesc("idcoord_store_bad_records_total", "WorkerIds skipped while acquiring over a store record that needs an operator (a W that cannot be read, a holder record that never expires).", nil, nil)
)

// The peer clock check's verdict, wild samples, and sample size.
var (
	descMedianOffset = prometheus.NewDesc("idcoord_peer_clock_median_offset_seconds", "Median offset of the sampled peers that answered: the verdict held to clock.max-drift.", nil, nil)
	descWildSamples  = prometheus.NewDesc("idcoord_peer_clock_wild_samples_total", "Peer clock samples set apart as further than clock.max-drift from the median.", nil, nil)
	descPeersChecked = prometheus.NewDesc("idcoord_peer_clock_peers", "Peers of the last clock check: live (drawn from), asked (the sample), answered.", []string{"set"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReady, descNotReady, descWorkerID, descLeaseLeft, descWAhead, descPeerOffset,
		descMeanOffset, descSteps, descRollbacks, descSeqWaits, descWaits, descDrift, descCeiling,
		descLayoutLeft, descLayoutEnd, descHeld, descCapacity, descStoreErrs, descBadRecords} {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{descMedianOffset, descWildSamples, descPeersChecked} {
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
	gauge(descMedianOffset, s.Clock.MedianOffset)
	counter(descWildSamples, s.Clock.WildSamples)
	gauge(descPeersChecked, float64(s.Clock.PeersLive), "live")
	gauge(descPeersChecked, float64(s.Clock.PeersAsked), "asked")
	gauge(descPeersChecked, float64(s.Clock.PeersAnswered), "answered")
	counter(descSteps, s.Clock.StepsForward, "forward")
	counter(descSteps, s.Clock.StepsBackward, "backward")
	counter(descRollbacks, s.Clock.FreshWorkerIDs, "fresh_worker_id")
	counter(descRollbacks, s.Clock.Rollbacks-s.Clock.FreshWorkerIDs, "waited")
	counter(descSeqWaits, s.Generator.SequenceWaits)
	counter(descWaits, s.Generator.RollbackWaits)
	counter(descDrift, s.Clock.DriftRefusals)
	counter(descCeiling, s.Generator.CeilingHits)
	gauge(descLayoutLeft, s.Layout.End.Sub(c.n.cfg.Clock.Now()).Seconds())
	gauge(descLayoutEnd, float64(s.Layout.End.UnixMilli())/1000)
	gauge(descHeld, float64(s.WorkerIDs.Held))
	gauge(descCapacity, float64(s.WorkerIDs.Capacity))
	for _, op := range storeOpNames {
		counter(descStoreErrs, s.StoreErrors[op], op)
	}
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
