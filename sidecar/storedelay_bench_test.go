package sidecar_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/loadgen"
	"github.com/idcoord/idcoord/sidecar/testserver"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
)

// allocatorSource serves a segment.Allocator as the sidecar's
// SegmentSource, as idcoord's Node does.
type allocatorSource struct{ a *segment.Allocator }

func (s allocatorSource) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	return s.a.AppendIDs(ctx, tag, dst, n)
}

// BenchmarkSegmentStoreDelay serves segment IDs of a tag of step 1000 (at
// most 50,000 as it grows) from
// a real allocator on a real etcd behind a fault proxy, over the socket,
// 64 connections of one ID a request, and measures the p99 latency of
// those requests with no delay and with 50 ms added to every store round
// trip, in alternating rounds of 3 s after a warm-up. It reports each p99
// (the larger of its two rounds), their ratio, and how many requests of the
// delayed rounds found nothing loaded and had to wait for the store: the
// double buffer keeps the store off the request path, so that count stays
// 0 and the ratio near 1 (on a quiet machine; a busy one adds its own
// noise to both). One iteration takes about 15 s: run it with -benchtime 1x.
//
//	go test -run '^$' -bench BenchmarkSegmentStoreDelay -benchtime 1x ./sidecar/
func BenchmarkSegmentStoreDelay(b *testing.B) {
	e := etcdtest.StartEmbedded(b)
	p := faultproxy.NewWith(b, e.ClientAddr(), faultproxy.Options{Seed: 1})
	ctx := context.Background()
	store, err := etcd.New(ctx, etcd.Config{Endpoints: []string{p.Addr()}, Cluster: "bench", Logger: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := coord.CreateSegment(ctx, store, "orders", 1, 1000, "", time.Now()); err != nil {
		b.Fatal(err)
	}
	// A step of at most 50,000 turns segments over every second or so at
	// this rate, so each delayed round takes several fetches of 100 ms or
	// more (two round trips), each started once a tenth of the segment
	// is used.
	alloc, err := segment.New(segment.Config{Store: store, MaxStep: 50_000})
	if err != nil {
		b.Fatal(err)
	}
	defer alloc.Close()
	ts := testserver.Start(b, sidecar.Config{Segments: allocatorSource{alloc}, Logger: zap.NewNop()})
	load := func(d time.Duration) loadgen.Result {
		g, err := loadgen.Dial(ctx, loadgen.Config{Path: ts.Path, Conns: 64, Batch: 1, Tag: "orders", Duration: d})
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close()
		r := g.Run(ctx, nil)
		if r.Errors != 0 || r.Violations != 0 {
			b.Fatalf("%d errors (%v), %d increase violations", r.Errors, r.FirstErrors, r.Violations)
		}
		return r
	}
	b.ResetTimer()
	for range b.N {
		p.SetDelay(0, 0)
		load(2 * time.Second) // the dynamic step grows past what a fetch's wait costs
		p99 := map[time.Duration]float64{}
		waits := map[time.Duration]int64{}
		var rate float64
		for _, delay := range []time.Duration{0, 50 * time.Millisecond, 0, 50 * time.Millisecond} {
			p.SetDelay(delay, 0)
			before := exhausted(alloc)
			r := load(3 * time.Second)
			waits[delay] += exhausted(alloc) - before
			p99[delay] = max(p99[delay], r.P99)
			rate += r.IDsPerSec / 4
		}
		p.SetDelay(0, 0)
		b.ReportMetric(p99[0], "p99-ms")
		b.ReportMetric(p99[50*time.Millisecond], "p99-ms-delayed")
		b.ReportMetric(p99[50*time.Millisecond]/p99[0], "delayed/undelayed")
		b.ReportMetric(rate, "IDs/s")
		b.ReportMetric(float64(waits[50*time.Millisecond]), "waits-delayed")
	}
	for _, st := range alloc.Status() {
		b.Log(fmt.Sprintf("tag %s: step %d, %d IDs served, %d segments fetched, %d requests waited for the store (the warm-up's included)",
			st.Tag, st.Step, st.IDsServed, st.Fetches, st.Exhausted))
	}
}

// exhausted is how many requests found nothing loaded and waited for the
// store, over every tag of a.
func exhausted(a *segment.Allocator) int64 {
	var n int64
	for _, st := range a.Status() {
		n += st.Exhausted
	}
	return n
}
