package idcoord_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// gather returns the node's metrics by family name, each family's series
// by their labels' values joined with ",".
func gather(t *testing.T, c prometheus.Collector) map[string]map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, f := range fams {
		series := map[string]float64{}
		for _, m := range f.GetMetric() {
			key := ""
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetValue()
			}
			series[key] = value(m)
		}
		out[f.GetName()] = series
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return math.NaN()
}

// TestMetricsOccupancyLayoutAndStoreErrors checks the cluster's WorkerId
// occupancy as a second node sees it, the layout's end and time left, and
// that a store that stops answering shows in the store errors by op.
func TestMetricsOccupancyLayoutAndStoreErrors(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	proxy := faultproxy.New(t, srv.Endpoints()[0])
	cluster := clusterOf(t)
	mustStart(t, nodeOpts{endpoint: srv.Endpoints()[0], cluster: cluster, name: "a-0", layout: scarce})
	b := mustStart(t, nodeOpts{endpoint: proxy.Addr(), cluster: cluster, name: "b-0", layout: scarce})

	got := gather(t, b.Collector())
	// scarce has WorkerIds 0..3, 0 reserved: 3 to hand out. b's start-up
	// peer listing saw a's; b counts its own.
	if held, capacity := got["idcoord_cluster_worker_ids_held"][""], got["idcoord_cluster_worker_ids_capacity"][""]; held != 2 || capacity != 3 {
		t.Errorf("WorkerIds held %v of %v, want 2 of 3", held, capacity)
	}
	if st := b.Status().WorkerIDs; st.Held != 2 || st.Capacity != 3 {
		t.Errorf("Status().WorkerIDs = %+v, want 2 held of 3", st)
	}
	end := scarce.End()
	if e := got["idcoord_layout_end_timestamp_seconds"][""]; e != float64(end.UnixMilli())/1000 {
		t.Errorf("layout end %v, want %v (%s)", e, float64(end.UnixMilli())/1000, end)
	}
	// The time left is read from the clock at the scrape, between the two
	// reads of it here.
	before := time.Until(end).Seconds()
	left := gather(t, b.Collector())["idcoord_layout_seconds_left"][""]
	after := time.Until(end).Seconds()
	if left > before || left < after {
		t.Errorf("layout seconds left %v, want within [%v, %v]", left, after, before)
	}
	for op, n := range got["idcoord_store_errors_total"] {
		if n != 0 {
			t.Errorf("store errors of %s: %v before any fault", op, n)
		}
	}
	if len(got["idcoord_store_errors_total"]) != 6 {
		t.Errorf("store error series %v, want one per op", got["idcoord_store_errors_total"])
	}

	// With the store cut off, the next raises of W fail.
	proxy.Block()
	testproc.Eventually(t, "a failed raise of W counted", func() bool {
		return gather(t, b.Collector())["idcoord_store_errors_total"]["reserve"] > 0
	})
	proxy.Unblock()
	if n := b.Status().StoreErrors["reserve"]; n == 0 {
		t.Errorf("Status().StoreErrors = %v, want the reserve errors the metric counted", b.Status().StoreErrors)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Log(err)
	}
}
