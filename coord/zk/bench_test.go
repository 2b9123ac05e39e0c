package zkcoord

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
)

// BenchmarkAcquire times Acquire against a real server on loopback, in each
// mode, and reports the median and the 99th percentile (run with
// -benchtime=200x for 200 acquisitions). Release is not timed.
//
//   - sequential/restart: an identity that has its forever znode (a restart)
//   - sequential/new: a new identity registers a forever znode first
//   - ephemeral: a free WorkerID, no sticky report
func BenchmarkAcquire(b *testing.B) {
	zk := startZK(b)
	for _, bc := range []struct {
		name  string
		mode  Mode
		fresh bool
	}{
		{"sequential/restart", ModeSequential, false},
		{"sequential/new", ModeSequential, true},
		{"ephemeral", ModeEphemeral, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := testCtx(b)
			be := open(b, zk.Addr(), "bench", func(c *Config) { c.Mode, c.Logger = bc.mode, zap.NewNop() })
			samples := make([]time.Duration, 0, b.N)
			run := time.Now().UnixNano() // new identities in every run
			b.ResetTimer()
			for i := range b.N {
				c := claimFor("node", 1<<20)
				if bc.fresh {
					c.Node = fmt.Sprintf("new-%d-%d", run, i)
				}
				start := time.Now()
				l, err := be.Acquire(ctx, c)
				samples = append(samples, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := l.Release(ctx, time.Now()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(samples)
			ms := func(q float64) float64 {
				return float64(samples[int(q*float64(len(samples)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}
