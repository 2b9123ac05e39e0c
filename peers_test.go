package idcoord_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestWildPeerSetApart runs five honest nodes and one whose /clock answers
// an hour ahead. A new node starts, the running ones stay ready, and each
// reports the wild one by name: in its status, a counter and a log line.
// A node whose own clock is 5s ahead is still refused, on a sample of 3 of
// the 6 live peers, in 3 probes.
func TestWildPeerSetApart(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	base := clockNode{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), clock: clockguard.System{}}

	honest := make([]*idcoord.Node, 5)
	errs := make([]error, len(honest))
	var wg sync.WaitGroup
	for i := range honest {
		wg.Go(func() {
			o := base
			o.name = fmt.Sprintf("honest-%d", i)
			honest[i], errs[i] = startClockNode(t, o)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// The wild node's own clock is true, so it starts; its record's admin
	// address answers an hour ahead.
	wild := base
	wild.name, wild.admin = "wild", clockServer(t, offsetClock(time.Hour))
	if _, err := startClockNode(t, wild); err != nil {
		t.Fatal(err)
	}

	t.Run("a new node starts", func(t *testing.T) {
		core, logs := observer.New(zapcore.WarnLevel)
		o := base
		o.name = "newcomer"
		o.log = zap.New(zapcore.NewTee(coordtest.Logger(t, zap.InfoLevel).Core(), core)).Named(o.name)
		n, err := startClockNode(t, o)
		if err != nil {
			t.Fatalf("Start beside one wild peer and five honest: %v", err)
		}
		c := n.Status().Clock
		if len(c.WildPeers) != 1 || c.WildPeers[0].Node != "wild" || c.WildPeers[0].Admin != wild.admin ||
			c.WildPeers[0].OffsetSeconds < 3500 || c.WildSamples < 1 {
			t.Fatalf("status: wild peers %+v, wild samples %d: want the node wild, an hour ahead", c.WildPeers, c.WildSamples)
		}
		if c.MedianOffset > 0.5 || c.MedianOffset < -0.5 || c.MeanOffset > 0.5 || c.MeanOffset < -0.5 {
			t.Fatalf("median %gs, mean %gs: the wild sample swayed them", c.MedianOffset, c.MeanOffset)
		}
		if c.PeersLive != 6 || c.PeersAsked != 6 {
			t.Fatalf("%d live, %d asked: want 6 and 6 (the default sample exceeds the fleet)", c.PeersLive, c.PeersAsked)
		}
		named := logs.FilterMessageSnippet("wild peer clock").FilterField(zap.String("peer_node", "wild")).FilterField(zap.String("peer", wild.admin))
		if named.Len() == 0 {
			t.Fatalf("no log line names the wild peer; warnings: %v", logs.All())
		}
		if got := metricValue(t, n, "idcoord_peer_clock_wild_samples_total", ""); got < 1 {
			t.Fatalf("idcoord_peer_clock_wild_samples_total = %g", got)
		}
		if got := metricValue(t, n, "idcoord_peer_clock_peers", "asked"); got != 6 {
			t.Fatalf("idcoord_peer_clock_peers{set=asked} = %g, want 6", got)
		}
	})

	t.Run("running nodes stay ready", func(t *testing.T) {
		for _, n := range honest {
			// Two checks that drew the wild peer since it joined.
			testproc.Within(t, 30*time.Second, "two checks that set the wild peer apart", func() bool { return n.Status().Clock.WildSamples >= 2 })
			s := n.Status()
			if !s.Ready || s.Clock.DriftRefusals != 0 {
				t.Fatalf("%s: ready %t (%s), %d drift refusals", s.Node, s.Ready, s.Reason, s.Clock.DriftRefusals)
			}
		}
	})

	t.Run("a clock off is refused on a sample", func(t *testing.T) {
		var probes atomic.Int64
		http := clockguard.HTTPProbe(nil)
		o := base
		o.name, o.clock, o.peerSample = "ahead", offsetClock(5*time.Second), 3
		o.probe = func(ctx context.Context, addr string) (time.Time, error) {
			probes.Add(1)
			return http(ctx, addr)
		}
		_, err := startClockNode(t, o)
		if !errors.Is(err, clockguard.ErrDrift) || !strings.Contains(err.Error(), "ahead of the median of 3 peers") {
			t.Fatalf("Start 5s ahead, sampling 3 of 6 peers = %v, want ErrDrift: ahead of the median of 3 peers", err)
		}
		if got := probes.Load(); got != 3 {
			t.Fatalf("%d probes for one check with a sample of 3, want 3", got)
		}
	})
}

// metricValue reads one sample of n's collector: name, with the label set
// equal to set if set is not empty.
func metricValue(t *testing.T, n *idcoord.Node, name, set string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(n.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if set != "" && !hasLabel(m, "set", set) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s (set %q)", name, set)
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
