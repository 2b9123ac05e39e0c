package zkcoord

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"
)

// benchWorkers is the WorkerId range of the occupancy benchmarks: 10 worker
// bits, WorkerId 0 reserved.
const benchWorkers = 1023

// BenchmarkAcquire times Acquire against a real server on loopback, in each
// mode, and reports the median, the 99th percentile and the ZooKeeper
// requests per acquisition (run with -benchtime=200x for 200
// acquisitions). Release is not timed.
//
//   - sequential/restart: an identity that has its forever znode (a restart)
//   - sequential/new: a new identity registers a forever znode first
//   - ephemeral/<n>%: a new node name (no sticky report, no ordinal) while
//     n% of 1,023 WorkerIds are held by another session
func BenchmarkAcquire(b *testing.B) {
	zk := startZK(b)
	for _, bc := range []struct {
		name     string
		mode     Mode
		fresh    bool
		occupied float64
	}{
		{"sequential/restart", ModeSequential, false, 0},
		{"sequential/new", ModeSequential, true, 0},
		{"ephemeral/10%", ModeEphemeral, true, 0.10},
		{"ephemeral/90%", ModeEphemeral, true, 0.90},
		{"ephemeral/99%", ModeEphemeral, true, 0.99},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := testCtx(b)
			cluster := fmt.Sprintf("bench%d", time.Now().UnixNano())
			be := open(b, zk.Addr(), cluster, func(c *Config) { c.Mode, c.Logger = bc.mode, zap.NewNop() })
			max := int64(1 << 20)
			if bc.mode == ModeEphemeral {
				max = benchWorkers
				fill(b, be, zk.Addr(), int(bc.occupied*benchWorkers+0.5))
			}
			samples := make([]time.Duration, 0, b.N)
			opsBefore := be.AcquireOps()
			b.ResetTimer()
			for i := range b.N {
				c := claimFor("node", max)
				if bc.fresh {
					c.Node = fmt.Sprintf("new%d", i) // no "-<n>": no ordinal
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
			b.ReportMetric(float64(be.AcquireOps()-opsBefore)/float64(b.N), "ops/op")
			reportQuantiles(b, samples)
		})
	}
}

// fill holds n WorkerIds of be's cluster, drawn at random from 1..1023,
// with ephemeral workers/<wid> znodes of one raw session, as other nodes
// would: no hw/<wid> is written, as for a cluster that is new.
func fill(tb testing.TB, be *Backend, addr string, n int) {
	tb.Helper()
	if err := be.ensureTree(testCtx(tb)); err != nil {
		tb.Fatal(err)
	}
	conn := raw(tb, addr)
	wids := rand.New(rand.NewPCG(1, 2)).Perm(benchWorkers)[:n]
	errs := make(chan error, len(wids))
	var wg sync.WaitGroup
	for i := range 16 { // 16 in flight
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < len(wids); j += 16 {
				data := encode(holder{Node: fmt.Sprintf("filler%d", j), Since: time.Now().UTC()})
				_, err := conn.Create(be.p.worker(int64(wids[j]+1)), data, gozk.FlagEphemeral, gozk.WorldACL(gozk.PermAll))
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatalf("filling workers/: %v", err)
		}
	}
}

// reportQuantiles reports the median and 99th percentile of samples in ms.
func reportQuantiles(b *testing.B, samples []time.Duration) {
	slices.Sort(samples)
	ms := func(q float64) float64 {
		return float64(samples[int(q*float64(len(samples)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkFleetStart starts 1,000 nodes at once on 1,023 WorkerIds, each
// with its own session, and reports the time until the last one holds a
// WorkerId (connecting included) and the ZooKeeper requests of each node's
// Acquire (mean and max). Run with -benchtime=1x.
func BenchmarkFleetStart(b *testing.B) {
	zk := startFleetZK(b)
	for range b.N {
		nodes, last := fleetStart(b, zk.Addr(), 1000, benchWorkers, 10*time.Second)
		distinct(b, nodes)
		var sum, most, races int64
		for _, n := range nodes {
			sum += n.ops
			most = max(most, n.ops)
			races += n.lostRaces
		}
		b.ReportMetric(float64(last)/float64(time.Millisecond), "last-node-ms")
		b.ReportMetric(float64(sum)/float64(len(nodes)), "ops-mean")
		b.ReportMetric(float64(most), "ops-max")
		b.ReportMetric(float64(races)/float64(len(nodes)), "lost-races-mean")
	}
}
