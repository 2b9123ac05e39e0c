package clockguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"time"
)

// Errors of this package.
var (
	// ErrDrift: the clock is further from the median of the sampled peers
	// than allowed.
	ErrDrift = errors.New("clockguard: clock drifts from its peers")
	// ErrBadClockReply: a peer's /clock answer could not be read.
	ErrBadClockReply = errors.New("clockguard: bad /clock reply")
)

// PeerProbe asks the peer at addr for its wall time.
type PeerProbe func(ctx context.Context, addr string) (time.Time, error)

// Sample is one measurement of a peer's clock.
type Sample struct {
	Peer string `json:"peer"`
	// Offset is how far the peer's clock is ahead of ours (negative: behind).
	Offset time.Duration `json:"offset_ns"`
	RTT    time.Duration `json:"rtt_ns"`
	// Err is why the sample is unusable: no answer, or a round trip over the
	// tolerance. Unusable samples do not count towards the verdict.
	Err error `json:"-"`
}

// Measure asks every peer for its time, in parallel, and returns one sample
// per peer, in the order given. The round trip is measured on the monotonic
// clock; the offset is peer_time + rtt/2 - local_receive_time. Samples with
// a round trip over maxRTT carry an error.
func Measure(ctx context.Context, clock WallClock, probe PeerProbe, peers []string, maxRTT time.Duration) []Sample {
	out := make([]Sample, len(peers))
	done := make(chan struct{}, len(peers))
	for i, addr := range peers {
		go func() {
			defer func() { done <- struct{}{} }()
			start := time.Now()
			peerTime, err := probe(ctx, addr)
			rtt := time.Since(start)
			received := clock.Now()
			out[i] = Sample{Peer: addr, RTT: rtt}
			switch {
			case err != nil:
				out[i].Err = err
			case rtt > maxRTT:
				out[i].Err = fmt.Errorf("round trip %s exceeds the tolerance %s", rtt.Round(time.Microsecond), maxRTT)
			default:
				out[i].Offset = peerTime.Add(rtt / 2).Sub(received)
			}
		}()
	}
	for range peers {
		<-done
	}
	return out
}

// Verdict is what a set of samples says about the local clock. The median is
// the verdict; the mean is kept for reports.
type Verdict struct {
	// Median offset of the usable samples: positive means the peers are
	// ahead. With an even count it is halfway between the middle two.
	Median time.Duration
	// Mean offset of the usable samples that are not wild (of all of them
	// when every one is wild, or when no limit was given).
	Mean time.Duration
	// Used is the number of usable samples; Asked the number of peers asked.
	Used, Asked int
	// Wild are the indexes, among the samples judged, of the usable samples
	// further than the limit from the median. They are reported, and do not
	// sway the verdict.
	Wild []int
}

// Agreeing is the number of usable samples within the limit of the median.
func (v Verdict) Agreeing() int { return v.Used - len(v.Wild) }

// Judge returns the median and the mean of the usable samples, with no
// limit: no sample is wild.
func Judge(samples []Sample) Verdict { return judge(samples, -1) }

// JudgeWithin returns the median of the usable samples, and sets apart as
// wild those further than maxDrift from it; Mean is that of the rest.
func JudgeWithin(samples []Sample, maxDrift time.Duration) Verdict {
	return judge(samples, max(maxDrift, 0))
}

// judge is Judge with a limit, or none when limit is negative.
func judge(samples []Sample, limit time.Duration) Verdict {
	v := Verdict{Asked: len(samples)}
	offsets := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if s.Err == nil {
			offsets = append(offsets, s.Offset)
		}
	}
	v.Used = len(offsets)
	if v.Used == 0 {
		return v
	}
	slices.Sort(offsets)
	mid := v.Used / 2
	v.Median = offsets[mid]
	if v.Used%2 == 0 {
		lo, hi := offsets[mid-1], offsets[mid]
		v.Median = lo/2 + hi/2 + (lo%2+hi%2)/2 // no overflow at the extremes
	}
	// Sums and distances in float64: a peer's clock may be centuries off,
	// and time.Duration would overflow.
	var sum, all float64
	kept := 0
	for i, s := range samples {
		if s.Err != nil {
			continue
		}
		all += float64(s.Offset)
		if limit >= 0 && math.Abs(float64(s.Offset)-float64(v.Median)) > float64(limit) {
			v.Wild = append(v.Wild, i)
			continue
		}
		sum += float64(s.Offset)
		kept++
	}
	v.Mean = durationOf(all / float64(v.Used))
	if kept > 0 {
		v.Mean = durationOf(sum / float64(kept))
	}
	return v
}

// durationOf converts nanoseconds to a Duration, saturating at its bounds.
func durationOf(ns float64) time.Duration {
	switch {
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}

// Check returns an error wrapping ErrDrift when the median offset exceeds
// maxDrift in either direction; nil when it does not, or when no peer
// answered (the check is then skipped: Used == 0).
func (v Verdict) Check(maxDrift time.Duration) error {
	if v.Used == 0 || v.Median.Abs() <= maxDrift {
		return nil
	}
	dir := "behind"
	if v.Median < 0 {
		dir = "ahead of"
	}
	return fmt.Errorf("%w: this clock is %s %s the median of %d peers (clock.max-drift %s)",
		ErrDrift, v.Median.Abs().Round(time.Millisecond), dir, v.Used, maxDrift)
}

// HTTPProbe returns a PeerProbe that reads http://addr/clock, which answers
// {"unix_nano": N}.
func HTTPProbe(client *http.Client) PeerProbe {
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	return func(ctx context.Context, addr string) (time.Time, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/clock", nil)
		if err != nil {
			return time.Time{}, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return time.Time{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if err != nil {
			return time.Time{}, err
		}
		return ParseClockReply(resp.StatusCode, body)
	}
}

// ClockReply is the JSON body of /clock.
type ClockReply struct {
	UnixNano int64 `json:"unix_nano"`
}

// ParseClockReply reads a /clock answer.
func ParseClockReply(status int, body []byte) (time.Time, error) {
	if status != http.StatusOK {
		return time.Time{}, fmt.Errorf("%w: HTTP %d", ErrBadClockReply, status)
	}
	var r ClockReply
	if err := json.Unmarshal(body, &r); err != nil {
		return time.Time{}, fmt.Errorf("%w: %v", ErrBadClockReply, err)
	}
	if r.UnixNano <= 0 {
		return time.Time{}, fmt.Errorf("%w: unix_nano %d", ErrBadClockReply, r.UnixNano)
	}
	return time.Unix(0, r.UnixNano), nil
}

// SortedByPeer returns samples ordered by peer address, for stable output.
func SortedByPeer(samples []Sample) []Sample {
	out := append([]Sample(nil), samples...)
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}
