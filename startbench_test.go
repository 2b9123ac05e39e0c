package idcoord_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// BenchmarkStartToFirstID measures the time from idcoord.Start to the first
// ID, with default Window and MaxDrift, against an embedded etcd; each
// iteration claims a WorkerId in a cluster no node has used before. It
// reports the median as ms/start-median (ns/op is the mean, with the
// backend's dial). Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench BenchmarkStartToFirstID -benchtime 5x ./
func BenchmarkStartToFirstID(b *testing.B) {
	srv := etcdtest.StartEmbedded(b)
	log := coordtest.Logger(b, zap.WarnLevel)
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		be, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: fmt.Sprintf("bench-start-%d-%d", time.Now().UnixNano(), i),
			Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		n, err := idcoord.Start(ctx, idcoord.Config{Backend: be, Node: "bench-0", Admin: "127.0.0.1:1", Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n.NextID(ctx); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		if err := n.Close(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "ms/start-median")
}
