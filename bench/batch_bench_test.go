package bench

import (
	"context"
	"testing"

	"github.com/idcoord/idcoord/snowflake"
)

// batchSize is the number of IDs one batch op asks for.
const batchSize = 1000

// BenchmarkBatch issues batchSize IDs per op from the idcoord generator, with
// NextIDs (a new slice per batch) and with AppendIDs into a reused slice, and
// reports the cost per ID (ns/ID).
func BenchmarkBatch(b *testing.B) {
	layouts := []struct {
		name     string
		layout   snowflake.Layout
		capacity float64
	}{
		{name: "idcoord_uncapped", layout: uncappedLayout},
		{name: "idcoord_twitter", layout: snowflake.Twitter(), capacity: capTwitter},
	}
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			b.Run("NextIDs-1000", func(b *testing.B) {
				g := newIdcoord(b, l.layout)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := g.NextIDs(ctx, batchSize); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportBatch(b, l.capacity)
			})
			b.Run("AppendIDs-1000", func(b *testing.B) {
				g := newIdcoord(b, l.layout)
				ctx := context.Background()
				buf := make([]int64, 0, batchSize)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					var err error
					if buf, err = g.AppendIDs(ctx, buf[:0], batchSize); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportBatch(b, l.capacity)
			})
		})
	}
}

// reportBatch adds ns/ID, IDs/s and %cap for b.N batches of batchSize.
func reportBatch(b *testing.B, capacity float64) {
	ids := float64(b.N) * batchSize
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/ids, "ns/ID")
	reportRate(b, ids, capacity)
}
