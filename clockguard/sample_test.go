package clockguard_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idcoord/idcoord/clockguard"
)

// fakeFleet is a fleet of peers whose clocks a test sets, read through a
// probe that counts its calls. Peer i answers at addr "peer-i".
type fakeFleet struct {
	clock   clockguard.WallClock
	offsets map[string]time.Duration // by addr; absent: in step with clock
	calls   atomic.Int64
}

func (f *fakeFleet) probe(ctx context.Context, addr string) (time.Time, error) {
	f.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	return f.clock.Now().Add(f.offsets[addr]), nil
}

func addrs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("peer-%d", i)
	}
	return out
}

func TestJudgeWithinMedian(t *testing.T) {
	const drift = time.Second
	ok := func(d time.Duration) clockguard.Sample { return clockguard.Sample{Offset: d} }
	boom := clockguard.Sample{Err: errors.New("no answer")}
	tests := []struct {
		name    string
		samples []clockguard.Sample
		median  time.Duration
		mean    time.Duration
		wild    []int
		drifts  bool
	}{
		{"one wild beside five honest", []clockguard.Sample{ok(100 * time.Millisecond), ok(time.Hour), ok(0), ok(-100 * time.Millisecond), ok(50 * time.Millisecond), ok(-50 * time.Millisecond)},
			25 * time.Millisecond, 0, []int{1}, false},
		{"odd count", []clockguard.Sample{ok(3 * time.Second), ok(-time.Hour), ok(2 * time.Second), boom},
			2 * time.Second, 2500 * time.Millisecond, []int{1}, true},
		{"this clock off: peers agree", []clockguard.Sample{ok(-time.Hour), ok(-time.Hour + time.Millisecond), ok(-time.Hour - time.Millisecond)},
			-time.Hour, -time.Hour, nil, true},
		{"two that disagree: halfway, both wild", []clockguard.Sample{ok(0), ok(time.Hour)},
			30 * time.Minute, 30 * time.Minute, []int{0, 1}, true},
		{"half bad moves an even median", []clockguard.Sample{ok(0), ok(0), ok(time.Hour), ok(time.Hour)},
			30 * time.Minute, 30 * time.Minute, []int{0, 1, 2, 3}, true},
		{"one sample decides alone", []clockguard.Sample{boom, ok(time.Hour)},
			time.Hour, time.Hour, nil, true},
		{"none usable", []clockguard.Sample{boom, boom}, 0, 0, nil, false},
		{"clocks centuries off do not overflow", []clockguard.Sample{ok(math.MaxInt64), ok(math.MaxInt64), ok(math.MinInt64)},
			math.MaxInt64, math.MaxInt64, []int{2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := clockguard.JudgeWithin(tt.samples, drift)
			if v.Median != tt.median || v.Mean != tt.mean || fmt.Sprint(v.Wild) != fmt.Sprint(tt.wild) {
				t.Fatalf("JudgeWithin() = median %s mean %s wild %v, want %s, %s, %v", v.Median, v.Mean, v.Wild, tt.median, tt.mean, tt.wild)
			}
			if err := v.Check(drift); (err != nil) != tt.drifts || (err != nil && !errors.Is(err, clockguard.ErrDrift)) {
				t.Fatalf("Check() = %v, want a drift: %t", err, tt.drifts)
			}
			if got := clockguard.Judge(tt.samples); got.Median != v.Median || len(got.Wild) != 0 {
				t.Fatalf("Judge() = %+v: same median, no wild, expected", got)
			}
		})
	}
}

// TestCheckWildPeer measures a fleet of six peers, one an hour ahead: the
// verdict stays within the limit and names the wild one.
func TestCheckWildPeer(t *testing.T) {
	peers := addrs(6)
	f := &fakeFleet{clock: clockguard.System{}, offsets: map[string]time.Duration{"peer-3": time.Hour}}
	samples := clockguard.Measure(context.Background(), f.clock, f.probe, peers, time.Second)
	v := clockguard.JudgeWithin(samples, time.Second)
	if err := v.Check(time.Second); err != nil {
		t.Fatal(err)
	}
	if len(v.Wild) != 1 || samples[v.Wild[0]].Peer != "peer-3" || v.Agreeing() != 5 {
		t.Fatalf("wild %v, agreeing %d: want peer-3 alone set apart", v.Wild, v.Agreeing())
	}
	if v.Mean.Abs() > 100*time.Millisecond {
		t.Fatalf("mean %s: the wild sample should be left out of it", v.Mean)
	}
}

// TestCheckOwnClockOff: a clock 5s ahead of a fleet of 40 peers is refused
// on a sample of 12 of them.
func TestCheckOwnClockOff(t *testing.T) {
	peers := addrs(40)
	f := &fakeFleet{clock: clockguard.System{}, offsets: map[string]time.Duration{}}
	own := offset(5 * time.Second)
	asked := clockguard.SamplePeers(nil, peers, 12, nil)
	v := clockguard.JudgeWithin(clockguard.Measure(context.Background(), own, f.probe, asked, time.Second), time.Second)
	err := v.Check(time.Second)
	if !errors.Is(err, clockguard.ErrDrift) || !strings.Contains(err.Error(), "ahead of the median of 12 peers") {
		t.Fatalf("Check() = %v, want ErrDrift: ahead of the median of 12 peers", err)
	}
	if f.calls.Load() != 12 || len(v.Wild) != 0 {
		t.Fatalf("%d probes, wild %v: want 12 probes, none wild", f.calls.Load(), v.Wild)
	}
}

type offset time.Duration

func (o offset) Now() time.Time { return time.Now().Add(time.Duration(o)) }

// TestSampleBounded: with 40 peers and k = 12, each check probes exactly 12
// distinct peers; with fewer peers than k, all of them.
func TestSampleBounded(t *testing.T) {
	peers := addrs(40)
	f := &fakeFleet{clock: clockguard.System{}}
	for range 20 {
		before := f.calls.Load()
		asked := clockguard.SamplePeers(nil, peers, 12, nil)
		clockguard.Measure(context.Background(), f.clock, f.probe, asked, time.Second)
		if n := f.calls.Load() - before; n != 12 {
			t.Fatalf("%d probes in one check, want 12", n)
		}
		seen := map[string]bool{}
		for _, a := range asked {
			if seen[a] {
				t.Fatalf("peer %s drawn twice in %v", a, asked)
			}
			seen[a] = true
		}
	}
	if got := clockguard.SamplePeers(nil, peers[:5], 12, nil); len(got) != 5 {
		t.Fatalf("k above the fleet: %d drawn, want all 5", len(got))
	}
	if got := clockguard.SamplePeers(nil, peers, 0, nil); len(got) != 0 {
		t.Fatalf("k = 0 drew %v", got)
	}
}

// TestSamplePeersUniform draws 3 of 10 peers, two of them never eligible,
// many times: each eligible peer is drawn about 3/8 of the time, the others
// never. The source is seeded, so the counts are fixed for this seed; the
// bound (±10% of the expectation, over 5 standard deviations) holds for
// any fair draw.
func TestSamplePeersUniform(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	peers := addrs(10)
	skip := map[string]bool{"peer-0": true, "peer-7": true}
	keep := func(p string) bool { return !skip[p] }
	const draws = 40000
	count := map[string]int{}
	pairs := map[[2]string]int{}
	for range draws {
		got := clockguard.SamplePeers(rnd, peers, 3, keep)
		if len(got) != 3 {
			t.Fatalf("drew %v, want 3", got)
		}
		for _, p := range got {
			count[p]++
		}
		a, b := min(got[0], got[1]), max(got[0], got[1])
		pairs[[2]string{a, b}]++
	}
	want := draws * 3.0 / 8
	for _, p := range peers {
		c := float64(count[p])
		if skip[p] {
			if c != 0 {
				t.Fatalf("%s drawn %v times though not eligible", p, c)
			}
			continue
		}
		if c < 0.9*want || c > 1.1*want {
			t.Fatalf("%s drawn %v times, want about %.0f", p, c, want)
		}
	}
	if len(pairs) != 8*7/2 {
		t.Fatalf("%d distinct first pairs drawn, want all %d", len(pairs), 8*7/2)
	}
}

// BenchmarkPeerCheck runs one node's peer check against a listed fleet of N
// peers with a fake probe: draw k, measure, judge. probes/check stays k, and
// ns/check follows k, not N.
func BenchmarkPeerCheck(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		peers := addrs(n)
		for _, k := range []int{4, 12, 16} {
			b.Run(fmt.Sprintf("peers=%d/k=%d", n, k), func(b *testing.B) {
				f := &fakeFleet{clock: clockguard.System{}}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					asked := clockguard.SamplePeers(nil, peers, k, nil)
					v := clockguard.JudgeWithin(clockguard.Measure(ctx, f.clock, f.probe, asked, time.Second), time.Second)
					if v.Used != k {
						b.Fatalf("%d usable samples, want %d", v.Used, k)
					}
				}
				perCheck := float64(f.calls.Load()) / float64(b.N)
				b.ReportMetric(perCheck, "probes/check")
				// The fleet's rate: n nodes, one check each per 30s.
				b.ReportMetric(float64(n)*perCheck/30, "fleet-probes/s")
				b.ReportMetric(float64(n)*float64(n-1)/30, "census-probes/s")
			})
		}
	}
}
