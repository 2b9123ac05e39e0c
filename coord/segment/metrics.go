package segment

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics, labelled by tag. A tag gets label values only once a segment of
// it has loaded, so requests for unknown tags never create series. The
// counters and gauges are read from the tags' state at each scrape (the
// request path updates no metric); the fetch latency is observed by the
// fetch itself.
var (
	descIDs       = prometheus.NewDesc("idcoord_segment_ids_total", "Segment IDs handed out.", []string{"tag"}, nil)
	descFetches   = prometheus.NewDesc("idcoord_segment_fetches_total", "Segment fetches from the store, by result.", []string{"tag", "result"}, nil)
	descStep      = prometheus.NewDesc("idcoord_segment_step", "Current dynamic step: the size of the next segment asked for.", []string{"tag"}, nil)
	descExhausted = prometheus.NewDesc("idcoord_segment_exhausted_total", "Requests that found no ID loaded and waited for the store.", []string{"tag"}, nil)
	descLoaded    = prometheus.NewDesc("idcoord_segment_loaded_ids", "IDs left in both buffers.", []string{"tag"}, nil)
)

// metrics is an Allocator's registered metrics. Its methods do nothing on
// a nil *metrics (no Registerer).
type metrics struct {
	reg          prometheus.Registerer
	state        collector
	fetchSeconds *prometheus.HistogramVec
}

// newMetrics registers a's metrics with reg.
func newMetrics(a *Allocator, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{reg: reg, state: collector{a}, fetchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "idcoord_segment_fetch_seconds",
		Help:    "Latency of segment fetches from the store, failed ones included.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1ms to 8s
	}, []string{"tag"})}
	if err := reg.Register(m.state); err != nil {
		return nil, fmt.Errorf("segment: registering metrics: %w", err)
	}
	if err := reg.Register(m.fetchSeconds); err != nil {
		reg.Unregister(m.state)
		return nil, fmt.Errorf("segment: registering metrics: %w", err)
	}
	return m, nil
}

// observeFetch records how long one fetch attempt of tag took.
func (m *metrics) observeFetch(tag string, took time.Duration) {
	if m != nil {
		m.fetchSeconds.WithLabelValues(tag).Observe(took.Seconds())
	}
}

// unregister removes the metrics from the registerer.
func (m *metrics) unregister() {
	if m != nil {
		m.reg.Unregister(m.state)
		m.reg.Unregister(m.fetchSeconds)
	}
}

// collector reads the per-tag counters and gauges from an Allocator.
type collector struct{ a *Allocator }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIDs, descFetches, descStep, descExhausted, descLoaded} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, t := range c.a.snapshot() {
		t.mu.Lock()
		loaded := t.loaded
		served, ok, failed, exhausted := t.served, t.fetchOK, t.fetchErr, t.exhausted
		step, left := t.step, t.loadedLocked()
		t.mu.Unlock()
		if !loaded {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descIDs, prometheus.CounterValue, float64(served), t.tag)
		ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(ok), t.tag, "ok")
		ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(failed), t.tag, "error")
		ch <- prometheus.MustNewConstMetric(descStep, prometheus.GaugeValue, float64(step), t.tag)
		ch <- prometheus.MustNewConstMetric(descExhausted, prometheus.CounterValue, float64(exhausted), t.tag)
		ch <- prometheus.MustNewConstMetric(descLoaded, prometheus.GaugeValue, float64(left), t.tag)
	}
}
