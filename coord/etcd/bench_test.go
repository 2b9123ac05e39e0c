package etcd_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// benchMaxWorkerID is a 10-bit layout's range: 1,023 WorkerIds.
const benchMaxWorkerID = 1023

// BenchmarkAcquire measures one acquisition (the backend alone: fresh node
// names with no clock report and no StatefulSet ordinal, no Claim.Sticky)
// with 0%, 90% and 99% of the WorkerIds held: its round trips, which are a
// count, and its p50 and p99 times, which depend on the machine.
//
//	go test -run '^$' -bench 'BenchmarkAcquire$' -benchtime 300x ./coord/etcd/
func BenchmarkAcquire(b *testing.B) {
	srv := etcdtest.StartBinary(b)
	for _, pct := range []int{0, 90, 99} {
		b.Run(fmt.Sprintf("held-%dpct", pct), func(b *testing.B) {
			cluster := clusterOf(b)
			fillHeld(b, srv.Endpoints(), cluster, benchMaxWorkerID*pct/100)
			backend := newBackendTTL(b, srv.Endpoints(), cluster, 60*time.Second)
			defer backend.Close()
			var durations []time.Duration
			var trips int64
			for i := 0; b.Loop(); i++ {
				ctx, n := etcd.CountingTrips(context.Background())
				start := time.Now()
				l, err := backend.Acquire(ctx, coord.Claim{Node: fmt.Sprintf("probe%d", i), Admin: "127.0.0.1:1",
					MaxWorkerID: benchMaxWorkerID, Reserved: []int64{0}})
				durations = append(durations, time.Since(start))
				trips += n.Load()
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := l.Release(context.Background(), l.HighWater()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			slices.Sort(durations)
			b.ReportMetric(float64(trips)/float64(len(durations)), "round-trips/op")
			b.ReportMetric(ms(durations[len(durations)/2]), "p50-ms")
			b.ReportMetric(ms(durations[len(durations)*99/100]), "p99-ms")
		})
	}
}

// BenchmarkStorm starts 1,000 nodes at once on 1,023 WorkerIds, 25 nodes to
// a Backend (and its client): the time until the last one holds a WorkerId,
// and the round trips per node, mean and max (a node that met a store
// fault and tried again counts the trips of every try, and is counted in
// nodes-retried).
//
//	go test -run '^$' -bench 'BenchmarkStorm$' -benchtime 3x ./coord/etcd/
func BenchmarkStorm(b *testing.B) {
	srv := etcdtest.StartBinary(b)
	var last time.Duration
	var mean, most float64
	runs, retries := 0, 0
	for i := 0; b.Loop(); i++ {
		r := storm(b, srv.Endpoints(), fmt.Sprintf("%s-%d", clusterOf(b), i), 1000, benchMaxWorkerID, 40)
		last += r.last
		mean += r.meanTrips()
		most = max(most, float64(slices.Max(r.trips)))
		retries += r.retries
		runs++
	}
	b.ReportMetric(ms(last)/float64(runs), "last-node-ms")
	b.ReportMetric(mean/float64(runs), "round-trips-mean")
	b.ReportMetric(most, "round-trips-max")
	b.ReportMetric(float64(retries)/float64(runs), "nodes-retried")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fillHeld makes n of the WorkerIds 1..benchMaxWorkerID held, drawn at
// random: holder records under one long lease of a plain client, as live
// nodes that stay for the whole benchmark would leave them.
func fillHeld(tb testing.TB, endpoints []string, cluster string, n int) {
	tb.Helper()
	if n == 0 {
		return
	}
	cli := rawClient(tb, endpoints)
	ctx := context.Background()
	grant, err := cli.Grant(ctx, 600)
	if err != nil {
		tb.Fatal(err)
	}
	wids := rand.New(rand.NewPCG(1, 2)).Perm(benchMaxWorkerID)[:n]
	const perTxn = 100 // etcd allows 128 operations in one transaction
	for len(wids) > 0 {
		batch := wids[:min(perTxn, len(wids))]
		wids = wids[len(batch):]
		ops := make([]clientv3.Op, 0, len(batch))
		for _, w := range batch {
			key := fmt.Sprintf("%sworkers/%d", etcd.Prefix(cluster), w+1)
			ops = append(ops, clientv3.OpPut(key, `{"node":"filler","admin":"127.0.0.1:1"}`, clientv3.WithLease(grant.ID)))
		}
		if _, err := cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}
