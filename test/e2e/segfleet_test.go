package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// segmentTags are the tags a fleet with Segments creates before its nodes
// start, and segmentStep their step: small, so that segments turn over
// often while the dynamic step is still growing, and a node that starts
// again begins with small segments.
var segmentTags = []string{"e2e.orders", "e2e:users"}

const segmentStep = 50

// outage is a time a scenario kept nodes from the store: from the fault to
// the moment the heal began.
type outage struct {
	From, To time.Duration
	Nodes    []int // every node when empty
	What     string
}

// storeOutage records that nodes (every node when none) could not reach
// the store from from to to.
func (f *fleet) storeOutage(what string, from, to time.Duration, nodes ...int) {
	f.mu.Lock()
	f.mu.outages = append(f.mu.outages, outage{From: from, To: to, Nodes: nodes, What: what})
	f.mu.Unlock()
}

func (f *fleet) outages() []outage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]outage(nil), f.mu.outages...)
}

// covers reports whether node i is one of o's nodes.
func (o outage) covers(i int) bool { return len(o.Nodes) == 0 || contains(o.Nodes, i) }

// createSegmentTags creates the fleet's tags with the CLI, against the
// store, before any node starts.
func (f *fleet) createSegmentTags() {
	f.t.Helper()
	f.segTags = segmentTags
	for _, tag := range f.segTags {
		args := append([]string{"segment", "create", tag, "--step", fmt.Sprint(segmentStep)}, f.storeArgs...)
		code, out, errOut := cli(f.t, args...)
		if code != 0 {
			f.t.Fatalf("idcoord %s: exit %d: %s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	f.logf("segment tags %v created with step %d", f.segTags, segmentStep)
}

// segmentShow is what `idcoord segment show -o json` prints.
type segmentShow struct {
	Tag         string  `json:"tag"`
	MaxID       int64   `json:"max_id"`
	Step        int64   `json:"step"`
	Description string  `json:"description"`
	UpdateTime  string  `json:"update_time"` // RFC 3339
	Error       *string `json:"error"`
}

// showSegment reads tag's record with the CLI.
func (f *fleet) showSegment(tag string) (segmentShow, error) {
	args := append([]string{"segment", "show", tag, "-o", "json"}, f.storeArgs...)
	code, out, errOut := cli(f.t, args...)
	if code != 0 {
		return segmentShow{}, fmt.Errorf("idcoord %s: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(errOut))
	}
	var s segmentShow
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		return segmentShow{}, fmt.Errorf("idcoord segment show %s -o json: %v in %q", tag, err, clip([]byte(out)))
	}
	switch {
	case s.Error != nil:
		return s, fmt.Errorf("idcoord segment show %s -o json: unreadable record: %s", tag, *s.Error)
	case s.Tag != tag || s.Step < 1:
		return s, fmt.Errorf("idcoord segment show %s -o json: not the tag's record: %q", tag, clip([]byte(out)))
	}
	return s, nil
}
