package bench

import (
	"sync"
	"testing"
)

// mode is a way of spreading b.N single-ID calls over goroutines.
type mode struct {
	name string
	run  func(b *testing.B, next func() (int64, error))
}

// modes are run for every subject: one goroutine, exactly two goroutines
// (whatever GOMAXPROCS is), b.RunParallel (GOMAXPROCS goroutines), and
// b.RunParallel with 4 goroutines per processor to show contention when
// callers outnumber cores.
var modes = []mode{
	{name: "g1", run: runOne},
	{name: "g2", run: func(b *testing.B, next func() (int64, error)) { runGoroutines(b, 2, next) }},
	{name: "par", run: func(b *testing.B, next func() (int64, error)) { runParallel(b, 1, next) }},
	{name: "par4x", run: func(b *testing.B, next func() (int64, error)) { runParallel(b, 4, next) }},
}

func runOne(b *testing.B, next func() (int64, error)) {
	for range b.N {
		if _, err := next(); err != nil {
			b.Fatal(err)
		}
	}
}

// runGoroutines splits b.N calls over exactly k goroutines.
func runGoroutines(b *testing.B, k int, next func() (int64, error)) {
	var wg sync.WaitGroup
	for i := range k {
		n := b.N / k
		if i < b.N%k {
			n++
		}
		wg.Go(func() {
			for range n {
				if _, err := next(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// runParallel runs b.RunParallel with p goroutines per GOMAXPROCS.
func runParallel(b *testing.B, p int, next func() (int64, error)) {
	b.SetParallelism(p)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := next(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// reportRate adds IDs/s and, when capacity is known, the share of it reached
// (%cap), for ids IDs issued in the benchmark's measured time.
func reportRate(b *testing.B, ids, capacity float64) {
	sec := b.Elapsed().Seconds()
	if sec <= 0 {
		return
	}
	rate := ids / sec
	b.ReportMetric(rate, "IDs/s")
	if capacity > 0 {
		b.ReportMetric(100*rate/capacity, "%cap")
	}
}
