package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestHistBuckets(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 63, 64, 65, 100, 1000, 1023, 1024, 1 << 20, 1<<40 + 12345, math.MaxInt64 / 3, math.MaxInt64} {
		b := histBucket(v)
		if b < prev || b >= histBuckets {
			t.Fatalf("histBucket(%d) = %d after %d; want increasing, below %d", v, b, prev, histBuckets)
		}
		prev = b
		if up := histUpper(b); up < v || (b > 0 && histUpper(b-1) >= v) {
			t.Errorf("%d is in bucket %d, which ends at %d after %d", v, b, up, histUpper(b-1))
		}
		if v >= 64 && float64(histUpper(b)-histUpper(b-1)) > float64(v)/histSub {
			t.Errorf("bucket %d of %d is %d wide, over 1/%d", b, v, histUpper(b)-histUpper(b-1), histSub)
		}
	}
	for i := 1; i < histBuckets; i++ {
		if histUpper(i) <= histUpper(i-1) {
			t.Fatalf("bucket %d ends at %d, not after bucket %d at %d", i, histUpper(i), i-1, histUpper(i-1))
		}
		if histBucket(histUpper(i)) != i || histBucket(histUpper(i-1)+1) != i {
			t.Fatalf("bucket %d's ends do not map back to it", i)
		}
	}
}

func TestHistQuantiles(t *testing.T) {
	var h latencyHist
	if h.quantile(0.5) != 0 || h.mean() != 0 {
		t.Fatal("empty histogram reports latency")
	}
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	var other latencyHist
	other.record(time.Second)
	h.merge(&other)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 501 * time.Microsecond}, // rank 501 of 1001
		{0.99, 991 * time.Microsecond},
		{0.999, 1000 * time.Microsecond},
		{1, time.Second},
	} {
		got := h.quantile(tc.q)
		if got < tc.want || float64(got-tc.want) > float64(tc.want)/histSub {
			t.Errorf("quantile(%v) = %v, want %v within 1/%d above", tc.q, got, tc.want, histSub)
		}
	}
	if h.max != int64(time.Second) || h.n != 1001 {
		t.Errorf("max %v, n %d", time.Duration(h.max), h.n)
	}
	if want := (500500*time.Microsecond + time.Second) / 1001; h.mean() != want {
		t.Errorf("mean %v, want %v", h.mean(), want)
	}
}

// BenchmarkHistRecord shows that recording a latency is cheap.
func BenchmarkHistRecord(b *testing.B) {
	var h latencyHist
	d := 37 * time.Microsecond
	b.ReportAllocs()
	for b.Loop() {
		h.record(d)
		d += 13
	}
}
