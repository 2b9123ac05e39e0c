package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
)

// BenchmarkRender1000Holders renders the page of a fleet of 1,000 holders,
// eight tags and a full history, from in-memory sources: the cost of one
// page on a wall screen.
func BenchmarkRender1000Holders(b *testing.B) {
	f := newFixture()
	f.holdings = f.holdings[:0]
	f.entries = f.entries[:0]
	f.status.Segments = f.status.Segments[:0]
	for i := range 1000 {
		admin := fmt.Sprintf("10.0.%d.%d:9100", i/250, i%250)
		f.holdings = append(f.holdings, coord.Holding{WorkerID: int64(i + 1), Node: fmt.Sprintf("web-%04d", i), Admin: admin,
			Live: i%10 != 0, LeaseLeft: 3 * time.Second, HighWater: t0.Add(3 * time.Second),
			LastReport: &coord.Report{Timestamp: t0.Add(-time.Duration(i%7) * time.Second).UnixMilli(), WorkerID: int64(i + 1), Admin: admin}})
		f.status.Clock.PeerOffsets[admin] = float64(i%13) * 1e-4
	}
	for i := range 8 {
		tag := fmt.Sprintf("tag-%d", i)
		f.entries = append(f.entries, coord.SegmentEntry{Tag: tag, Record: coord.SegmentRecord{MaxID: 1e6, Step: 1000, Description: "a tag"}})
		f.status.Segments = append(f.status.Segments, segment.TagStatus{Tag: tag, Step: 1000,
			Current: segment.SegmentStatus{Start: 1000, End: 2000, Used: 300}, Next: &segment.SegmentStatus{Start: 5000, End: 6000}})
	}
	cfg := f.config()
	cfg.CacheFor = time.Hour // the store is read once, as on a wall screen
	var n float64
	cfg.IDsIssued = func() float64 { n += 1000; return n }
	c := newConsole(b, cfg)
	for i := range c.hist.mu.ring { // a full history: 10 minutes of samples
		c.hist.add(sample{At: t0.Add(time.Duration(i-len(c.hist.mu.ring)) * DefaultSampleEvery), Count: float64(i) * 5000, HasCount: true,
			Offset: float64(i%9) * 1e-4, HasOffset: true})
	}
	ctx := context.Background()
	var size int
	b.ReportAllocs()
	for b.Loop() { // a new render each time, as when RenderEvery has passed
		page, err := c.render(ctx, size)
		if err != nil {
			b.Fatal(err)
		}
		size = len(page)
	}
	b.ReportMetric(float64(size), "page-bytes")
}

// BenchmarkServeShared is one more screen asking for the page within
// RenderEvery: the page rendered last is sent again.
func BenchmarkServeShared(b *testing.B) {
	f := newFixture()
	cfg := f.config()
	cfg.RenderEvery = time.Hour
	c := newConsole(b, cfg)
	req := httptest.NewRequest("GET", "/", nil)
	c.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	for b.Loop() {
		c.ServeHTTP(httptest.NewRecorder(), req)
	}
}
