package snowflake_test

import (
	"context"
	"testing"
	"time"

	"github.com/idcoord/idcoord/snowflake"
)

// uncapped has 22 sequence bits, so the per-ID cost shows instead of the
// 4096-per-ms cap of the Twitter layout.
var uncapped = snowflake.Layout{TimeBits: 39, TimeUnit: time.Millisecond, WorkerBits: 2, SequenceBits: 22,
	Epoch: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

func benchGen(b *testing.B, l snowflake.Layout) *snowflake.Generator {
	g, err := snowflake.New(snowflake.Config{Layout: l, DatacenterID: l.MaxDatacenterID(), WorkerID: 1})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

func reportRate(b *testing.B, ids int, l snowflake.Layout) {
	perSec := float64(ids) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "IDs/s")
	b.ReportMetric(100*perSec/l.Capacity(), "%cap")
}

// benchLayouts are the layouts every generator benchmark runs with.
var benchLayouts = []struct {
	name   string
	layout snowflake.Layout
}{{"twitter", snowflake.Twitter()}, {"twitter-dc", func() snowflake.Layout { l, _ := snowflake.Preset("twitter-dc"); return l }()}, {"uncapped", uncapped}}

func BenchmarkNextID(b *testing.B) {
	for _, c := range benchLayouts {
		b.Run(c.name, func(b *testing.B) {
			g := benchGen(b, c.layout)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.NextID(ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, b.N, c.layout)
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			g := benchGen(b, c.layout)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := g.NextID(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, b.N, c.layout)
		})
	}
}

func BenchmarkAppendIDs1000(b *testing.B) {
	for _, c := range benchLayouts {
		b.Run(c.name, func(b *testing.B) {
			g := benchGen(b, c.layout)
			ctx := context.Background()
			buf := make([]int64, 0, 1000)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = g.AppendIDs(ctx, buf[:0], 1000); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/ID")
			reportRate(b, b.N*1000, c.layout)
		})
	}
}
