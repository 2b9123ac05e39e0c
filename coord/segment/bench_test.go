package segment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
)

// benchTag creates tag on store unless it exists.
func benchTag(b *testing.B, store coord.SegmentStore, tag string, step int64) {
	b.Helper()
	_, err := coord.CreateSegment(context.Background(), store, tag, 1, step, "bench", time.Now())
	if err != nil && !errors.Is(err, coord.ErrSegmentExists) {
		b.Fatal(err)
	}
}

// benchAllocator opens an Allocator and loads tag's first segment, so the
// timed loop starts with a segment in memory, as a running node has.
func benchAllocator(b *testing.B, cfg Config, tag string) *Allocator {
	b.Helper()
	cfg.Logger = zap.NewNop()
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	if _, err := a.Next(context.Background(), tag); err != nil {
		b.Fatal(err)
	}
	return a
}

// waits is how many requests for tag found nothing loaded and waited.
func (a *Allocator) waits(tag string) int64 {
	t, err := a.lookup(tag)
	if err != nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.exhausted
}

// BenchmarkAppendIDs hands out IDs from a tag on embedded etcd (record
// step 1000, the default MaxStep), one at a time and in batches of 1000,
// from one goroutine and from GOMAXPROCS; ns/id is the cost of one ID,
// waits the requests that found nothing loaded (the first load is before
// the timer).
func BenchmarkAppendIDs(b *testing.B) {
	e := etcdtest.StartEmbedded(b)
	store := openEtcd(b, e.Endpoints(), "bench")
	for _, batch := range []int{1, 1000} {
		for _, parallel := range []bool{false, true} {
			mode := "serial"
			if parallel {
				mode = "parallel"
			}
			tag := fmt.Sprintf("bench-%d-%s", batch, mode)
			benchTag(b, store, tag, coord.DefaultSegmentStep)
			b.Run(fmt.Sprintf("batch=%d/%s", batch, mode), func(b *testing.B) {
				a := benchAllocator(b, Config{Store: store}, tag)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				if parallel {
					b.RunParallel(func(pb *testing.PB) {
						dst := make([]int64, 0, batch)
						for pb.Next() {
							var err error
							if dst, err = a.AppendIDs(ctx, tag, dst[:0], batch); err != nil {
								b.Error(err)
								return
							}
						}
					})
				} else {
					dst := make([]int64, 0, batch)
					for range b.N {
						var err error
						if dst, err = a.AppendIDs(ctx, tag, dst[:0], batch); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(batch), "ns/id")
				b.ReportMetric(float64(a.waits(tag)), "waits")
			})
		}
	}
}

// BenchmarkStoreDelay asks for one ID at a time with every store round trip
// delayed by 0 and by 50ms (a fault proxy between the etcd client and
// etcd), and reports the p99 and the largest request latency of each run,
// beside one TakeSegment's own latency (store-ns) and the requests that
// found nothing loaded (waits). The tag's record step is 1,000,000 (Meituan's
// rule, 600 × peak QPS, for a node serving a few thousand IDs a second would
// give far less; this loop asks for millions a second) and MaxStep the
// largest, so the double buffer can run ahead of the loop.
func BenchmarkStoreDelay(b *testing.B) {
	e := etcdtest.StartEmbedded(b)
	p := faultproxy.NewWith(b, e.ClientAddr(), faultproxy.Options{Seed: 1})
	store := openEtcd(b, []string{p.Addr()}, "bench-delay")
	const tag = "delayed"
	benchTag(b, store, tag, 1_000_000)
	for _, delay := range []time.Duration{0, 50 * time.Millisecond} {
		b.Run(fmt.Sprintf("delay=%s", delay), func(b *testing.B) {
			p.SetDelay(delay, 0)
			b.Cleanup(func() { p.SetDelay(0, 0) })
			ctx := context.Background()
			began := time.Now()
			if _, _, err := coord.TakeSegment(ctx, store, tag, 1, time.Now()); err != nil {
				b.Fatal(err)
			}
			storeLatency := time.Since(began)
			a := benchAllocator(b, Config{Store: store, MaxStep: coord.MaxSegmentStep, FetchWait: time.Minute}, tag)
			var lat latencies
			b.ResetTimer()
			for range b.N {
				began := time.Now()
				if _, err := a.Next(ctx, tag); err != nil {
					b.Fatal(err)
				}
				lat.add(time.Since(began))
			}
			b.StopTimer()
			b.ReportMetric(float64(lat.quantile(0.99).Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(lat.max.Nanoseconds()), "max-ns")
			b.ReportMetric(float64(storeLatency.Nanoseconds()), "store-ns")
			b.ReportMetric(float64(a.waits(tag)), "waits")
		})
	}
}

// latencies is a histogram of durations with 16 buckets per power of two
// (each within 6.25%), so a benchmark of millions of requests keeps no
// sample list.
type latencies struct {
	counts [64 * 16]int64
	n      int64
	max    time.Duration
}

func (l *latencies) add(d time.Duration) {
	ns := uint64(max(d, 1))
	e := bits.Len64(ns) - 1
	var sub uint64
	if e >= 4 {
		sub = ns >> (e - 4) & 15
	} else {
		sub = ns << (4 - e) & 15
	}
	l.counts[e*16+int(sub)]++
	l.n++
	l.max = max(l.max, d)
}

// quantile returns the upper bound of the bucket that holds the q-th
// quantile.
func (l *latencies) quantile(q float64) time.Duration {
	target := int64(math.Ceil(q * float64(l.n)))
	var seen int64
	for i, c := range l.counts {
		if seen += c; seen >= target && c > 0 {
			e, sub := i/16, i%16
			return time.Duration((uint64(16+sub+1) << e) >> 4)
		}
	}
	return l.max
}
