package clockguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"
)

// Errors of this package.
var (
	// ErrDrift: the clock is further from the mean of the peers than allowed.
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
	// tolerance. Unusable samples do not count towards the mean.
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

// Verdict is what a set of samples says about the local clock.
type Verdict struct {
	// Mean offset of the usable samples: positive means the peers are ahead.
	Mean time.Duration
	// Used is the number of usable samples; Asked the number of peers asked.
	Used, Asked int
}

// Judge averages the usable samples.
func Judge(samples []Sample) Verdict {
	v := Verdict{Asked: len(samples)}
	var sum time.Duration
	for _, s := range samples {
		if s.Err == nil {
			sum += s.Offset
			v.Used++
		}
	}
	if v.Used > 0 {
		v.Mean = sum / time.Duration(v.Used)
	}
	return v
}

// Check returns an error wrapping ErrDrift when the mean offset exceeds
// maxDrift in either direction; nil when it does not, or when no peer
// answered (the check is then skipped: Used == 0).
func (v Verdict) Check(maxDrift time.Duration) error {
	if v.Used == 0 || v.Mean.Abs() <= maxDrift {
		return nil
	}
	dir := "behind"
	if v.Mean < 0 {
		dir = "ahead of"
	}
	return fmt.Errorf("%w: this clock is %s %s the mean of %d peers (clock.max-drift %s)",
		ErrDrift, v.Mean.Abs().Round(time.Millisecond), dir, v.Used, maxDrift)
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
