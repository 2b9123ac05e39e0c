package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// sampleEvery is the period of the /status samples the checker judges
// WorkerIds and fence deadlines by.
const sampleEvery = 100 * time.Millisecond

// statusSample is one /status answer, stamped with the time its request
// was sent and the time its answer arrived: the node computed it in between.
// On a loaded machine the two can be far apart, so a judgement "before X"
// uses At and a judgement "after X" uses Sent.
type statusSample struct {
	Sent        time.Duration
	At          time.Duration
	Incarnation int64
	Ready       bool
	ReasonCode  string
	WorkerID    int64
	LeaseLeft   time.Duration
	HeldSince   string
	Floor       time.Time
	Layout      layoutStatus
	// Segments is how many IDs of each loaded tag the node held (its
	// current segment's rest and the next segment's), by tag.
	Segments map[string]int64
}

// Deadline is the fence deadline this sample vouches for, as an upper
// bound on the test's clock: the answer's arrival plus the lease time left.
func (s statusSample) Deadline() time.Duration { return s.At + s.LeaseLeft }

type layoutStatus struct {
	TimeBits     int       `json:"time_bits"`
	WorkerBits   int       `json:"worker_bits"`
	SequenceBits int       `json:"sequence_bits"`
	Epoch        time.Time `json:"epoch"`
}

// segmentStatus is one loaded segment in /status: [start, end), next the
// next ID to hand out.
type segmentStatus struct {
	End  int64 `json:"end"`
	Next int64 `json:"next"`
}

func (s segmentStatus) left() int64 { return max(s.End-s.Next, 0) }

// sampleLog is one node's samples in time order. It is safe for concurrent
// use until the fleet finishes; the checker reads it after.
type sampleLog struct {
	mu sync.Mutex
	s  []statusSample
}

func (l *sampleLog) add(s statusSample) {
	l.mu.Lock()
	l.s = append(l.s, s)
	l.mu.Unlock()
}

func (l *sampleLog) last() (statusSample, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.s) == 0 {
		return statusSample{}, false
	}
	return l.s[len(l.s)-1], true
}

// around returns the last sample of incarnation inc that arrived before at,
// and the first whose request was sent at or after at: the node computed
// the one before at and the other after it. (A sample that arrived after at
// may have been computed before it, while its answer waited on a busy
// machine.) The sampler is sequential, so both Sent and At increase.
func (l *sampleLog) around(inc int64, at time.Duration) (before, after *statusSample) {
	i := sort.Search(len(l.s), func(i int) bool { return l.s[i].At >= at })
	for j := i - 1; j >= 0; j-- {
		if l.s[j].Incarnation == inc {
			before = &l.s[j]
			break
		}
		if l.s[j].Incarnation < inc {
			break
		}
	}
	i = sort.Search(len(l.s), func(i int) bool { return l.s[i].Sent >= at })
	for j := i; j < len(l.s); j++ {
		if l.s[j].Incarnation == inc {
			after = &l.s[j]
			break
		}
		if l.s[j].Incarnation > inc {
			break
		}
	}
	return before, after
}

// sample reads n's /status every sampleEvery until ctx is done. A sample
// whose incarnation changed while it was taken is dropped.
func sample(ctx context.Context, f *fleet, n *fleetNode, l *sampleLog) {
	client := &http.Client{Timeout: 500 * time.Millisecond}
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		inc := n.incarnation.Load()
		sent := f.since()
		resp, err := client.Get("http://" + n.admin + "/status")
		if err != nil {
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		at := f.since()
		if err != nil || n.incarnation.Load() != inc {
			continue
		}
		var st struct {
			Ready      bool         `json:"ready"`
			ReasonCode string       `json:"reason_code"`
			WorkerID   *int64       `json:"worker_id"`
			LeaseLeft  float64      `json:"lease_left_seconds"`
			HeldSince  string       `json:"held_since"`
			Floor      time.Time    `json:"floor"`
			Layout     layoutStatus `json:"layout"`
			Segments   []struct {
				Tag     string         `json:"tag"`
				Current segmentStatus  `json:"current"`
				Next    *segmentStatus `json:"next"`
			} `json:"segments"`
		}
		if json.Unmarshal(body, &st) != nil {
			continue
		}
		s := statusSample{Sent: sent, At: at, Incarnation: inc, Ready: st.Ready, ReasonCode: st.ReasonCode, WorkerID: -1,
			LeaseLeft: time.Duration(st.LeaseLeft * float64(time.Second)), HeldSince: st.HeldSince,
			Floor: st.Floor, Layout: st.Layout}
		if st.WorkerID != nil {
			s.WorkerID = *st.WorkerID
		}
		for _, t := range st.Segments {
			if s.Segments == nil {
				s.Segments = map[string]int64{}
			}
			s.Segments[t.Tag] = t.Current.left()
			if t.Next != nil {
				s.Segments[t.Tag] += t.Next.left()
			}
		}
		l.add(s)
	}
}
