package sidecar

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// result is how a request ended; it labels the requests metric and names the
// line protocol's error code.
type result uint8

const (
	resultOK result = iota
	resultUnavailable
	resultBadRequest
	resultTooMany
	resultNotFound
	resultBadMethod
	resultInternal
	numResults
)

var resultNames = [numResults]string{"ok", "unavailable", "badrequest", "toomany", "notfound", "badmethod", "internal"}

// String returns the result's metric label.
func (r result) String() string { return resultNames[r] }

// protocol is the protocol a request came in on.
type protocol uint8

const (
	protoLine protocol = iota
	protoHTTP
	numProtocols
)

var protocolNames = [numProtocols]string{"line", "http"}

// Reasons a connection was refused, as metric labels.
const (
	refusedLimit = "limit"
	refusedPeer  = "peer"
)

// metrics are the server's Prometheus metrics. Label children are resolved
// once, so counting a request is one atomic add.
type metrics struct {
	idsIssued    prometheus.Counter
	requests     [numProtocols][numResults]prometheus.Counter
	segIDs       prometheus.Counter
	segRequests  [numProtocols][numResults]prometheus.Counter
	connsOpen    prometheus.Gauge
	connsRefused [2]prometheus.Counter // refusedLimit, refusedPeer
	duration     [numProtocols]prometheus.Observer
}

// durationBuckets span a request answered from memory (microseconds) to one
// that waited for the store (a segment fetch, a window raise).
var durationBuckets = prometheus.ExponentialBuckets(0.00001, 3, 11) // 10µs to 0.6s

// newMetrics creates the metrics and registers them with reg, if not nil. A
// collector already registered under the same name (a second Server on the
// same registry) is shared rather than refused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	ids := prometheus.NewCounter(prometheus.CounterOpts(opts("ids_issued_total",
		"IDs sent to clients over the socket, Snowflake and segment IDs alike.")))
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts(opts("requests_total",
		"Socket requests by protocol (line, http) and result, Snowflake and segment requests alike.")), []string{"protocol", "result"})
	segIDs := prometheus.NewCounter(prometheus.CounterOpts(opts("segment_ids_issued_total",
		"Segment IDs sent to clients over the socket (also counted in ids_issued_total).")))
	segReqs := prometheus.NewCounterVec(prometheus.CounterOpts(opts("segment_requests_total",
		"Segment requests on the socket by protocol (line, http) and result (also counted in requests_total); per-tag counts are the allocator's.")), []string{"protocol", "result"})
	open := prometheus.NewGauge(prometheus.GaugeOpts(opts("connections_open",
		"Socket connections being served.")))
	refused := prometheus.NewCounterVec(prometheus.CounterOpts(opts("connections_refused_total",
		"Socket connections refused, by reason (limit: too many connections; peer: uid not allowed).")), []string{"reason"})
	do := opts("request_duration_seconds",
		"Time from a socket request read to its answer written (line: into the connection's buffer; http: by the handler), by protocol.")
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: do.Namespace, Subsystem: do.Subsystem, Name: do.Name,
		Help: do.Help, Buckets: durationBuckets}, []string{"protocol"})
	if reg != nil {
		var err error
		if dur, err = register(reg, dur); err != nil {
			return nil, err
		}
		if ids, err = register(reg, ids); err != nil {
			return nil, err
		}
		if reqs, err = register(reg, reqs); err != nil {
			return nil, err
		}
		if open, err = register(reg, open); err != nil {
			return nil, err
		}
		if refused, err = register(reg, refused); err != nil {
			return nil, err
		}
		if segIDs, err = register(reg, segIDs); err != nil {
			return nil, err
		}
		if segReqs, err = register(reg, segReqs); err != nil {
			return nil, err
		}
	}
	m := &metrics{idsIssued: ids, connsOpen: open, segIDs: segIDs}
	for p := range numProtocols {
		for r := range numResults {
			m.requests[p][r] = reqs.WithLabelValues(protocolNames[p], resultNames[r])
			m.segRequests[p][r] = segReqs.WithLabelValues(protocolNames[p], resultNames[r])
		}
		m.duration[p] = dur.WithLabelValues(protocolNames[p])
	}
	m.connsRefused[0] = refused.WithLabelValues(refusedLimit)
	m.connsRefused[1] = refused.WithLabelValues(refusedPeer)
	return m, nil
}

// opts names a metric of the sidecar: idcoord_sidecar_<name>.
func opts(name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: "idcoord", Subsystem: "sidecar", Name: name, Help: help}
}

// register registers c, or returns the collector already registered in its
// place.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// count records one finished request that sent ids IDs.
func (m *metrics) count(p protocol, r result, ids int) {
	m.requests[p][r].Inc()
	if ids > 0 {
		m.idsIssued.Add(float64(ids))
	}
}

// observe records the duration of one request on protocol p that started
// at start: one clock read and one atomic update, no allocation.
func (m *metrics) observe(p protocol, start time.Time) {
	m.duration[p].Observe(time.Since(start).Seconds())
}

// countSegment records one finished segment request that sent ids IDs, in
// the segment counters and the counters of every request.
func (m *metrics) countSegment(p protocol, r result, ids int) {
	m.count(p, r, ids)
	m.segRequests[p][r].Inc()
	if ids > 0 {
		m.segIDs.Add(float64(ids))
	}
}

// countAs records a request with count, or countSegment if seg.
func (m *metrics) countAs(seg bool, p protocol, r result, ids int) {
	if seg {
		m.countSegment(p, r, ids)
		return
	}
	m.count(p, r, ids)
}
