package e2e

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// fenceSlack absorbs the rounding of an ID's timestamp to its tick.
const fenceSlack = 2 * time.Millisecond

// maxEvidence caps the evidence lines kept per verdict.
const maxEvidence = 30

// chaosLog holds the IDs that misbehaving clients received (unordered:
// only the duplicate check reads them) and what went wrong with them.
type chaosLog struct {
	mu        sync.Mutex
	ids       []int64
	anomalies []string
	notes     []string
}

func (c *chaosLog) add(ids []int64) {
	c.mu.Lock()
	c.ids = append(c.ids, ids...)
	c.mu.Unlock()
}

func (c *chaosLog) anomaly(format string, args ...any) {
	c.mu.Lock()
	c.anomalies = append(c.anomalies, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *chaosLog) note(format string, args ...any) {
	c.mu.Lock()
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// idLayout decodes IDs: time | worker | sequence.
type idLayout struct {
	workerBits, seqBits uint
	epoch               time.Time
}

func (l idLayout) worker(id int64) int64 { return id >> l.seqBits & (1<<l.workerBits - 1) }

// wall is the start of the tick the ID was issued in (1 ms ticks).
func (l idLayout) wall(id int64) time.Time {
	return l.epoch.Add(time.Duration(id>>(l.seqBits+l.workerBits)) * time.Millisecond)
}

// verdict is what the checker found in one scenario.
type verdict struct {
	IDs, Batches       int
	Duplicates         int
	OrderViolations    int // not strictly increasing within a node incarnation and WorkerId run
	WorkerViolations   int // WorkerId the node did not hold around that time
	FenceViolations    int // issued after the fence deadline
	FenceExplained     int // past an early sample's deadline, within a later one of the same holding
	RangeOverlaps      int // two runs of one WorkerId whose ID ranges interleave
	Protocol           int // short or garbled answers, chaos anomalies
	Scenario           int // the scenario's own checks
	WorkerChanges      int // WorkerId changes within one incarnation (new sequences)
	Unavailable        int
	FaultToUnavailable time.Duration // -1: none seen
	HealToGood         time.Duration // -1: none seen
	MaxPastFence       time.Duration // largest (served - deadline); must be <= 0
	FenceChecked       int
	Seg                segVerdict // the segment load, when the fleet ran one
	Evidence           []string
	Notes              []string
}

func (v *verdict) evidence(format string, args ...any) {
	if len(v.Evidence) < maxEvidence {
		v.Evidence = append(v.Evidence, fmt.Sprintf(format, args...))
	}
}

// violations is the sum of every kind of violation.
func (v verdict) violations() int {
	return v.OrderViolations + v.WorkerViolations + v.FenceViolations + v.RangeOverlaps + v.Protocol + v.Scenario +
		v.Seg.violations()
}

// run is a maximal stretch of one node incarnation's answers under one
// WorkerId.
type run struct {
	node     int
	inc, wid int64
	min, max int64
	from, to time.Duration
}

// layoutOf returns the ID layout the fleet's nodes report.
func (f *fleet) layoutOf() (idLayout, bool) {
	for _, s := range f.samples {
		for _, x := range s.s {
			if x.Layout.TimeBits > 0 {
				return idLayout{workerBits: uint(x.Layout.WorkerBits), seqBits: uint(x.Layout.SequenceBits), epoch: x.Layout.Epoch}, true
			}
		}
	}
	return idLayout{}, false
}

// servedAt is the earliest the node can have issued the batch's last ID, on
// the fleet's clock: its tick, shifted back by the node's faultclock offset
// (the largest the test set in the second before the answer arrived, which
// can only make the time earlier, never flag an innocent ID).
func (f *fleet) servedAt(n *fleetNode, lay idLayout, id int64, at time.Duration) time.Duration {
	return lay.wall(id).Sub(f.start.Round(0)) - n.maxOffset(at-time.Second, at)
}

// check merges every log of the fleet and judges it. Call it after finish.
func (f *fleet) check() verdict {
	v := verdict{FaultToUnavailable: -1, HealToGood: -1, MaxPastFence: -1 << 62}
	lay, ok := f.layoutOf()
	if !ok {
		v.Protocol++
		v.evidence("no node ever reported its layout")
		return v
	}
	var all []int64
	var runs []run
	for i, l := range f.loads {
		n := f.nodes[i]
		samples := f.samples[i]
		all = append(all, l.ids...)
		for _, e := range l.errs {
			switch e.Code {
			case "UNAVAILABLE":
				v.Unavailable++
			case "SHORT", "GARBAGE", "BADREQUEST", "TOOMANY":
				v.Protocol++
				v.evidence("%s inc %d at %s: %s %s", n.name, e.Inc, e.At, e.Code, e.Msg)
			}
		}
		var cur *run
		for _, b := range l.batches {
			ids := l.ids[b.First : b.First+b.N]
			v.Batches++
			wid := lay.worker(ids[0])
			for _, id := range ids[1:] {
				if lay.worker(id) != wid {
					v.Protocol++
					v.evidence("%s inc %d at %s: one answer mixes WorkerIds %d and %d", n.name, b.Inc, b.At, wid, lay.worker(id))
					break
				}
			}
			if cur == nil || cur.inc != b.Inc || cur.wid != wid {
				if cur != nil {
					runs = append(runs, *cur)
					if cur.inc == b.Inc {
						v.WorkerChanges++
					}
				}
				cur = &run{node: i, inc: b.Inc, wid: wid, min: ids[0], max: ids[0], from: b.At}
			} else if ids[0] <= cur.max {
				v.OrderViolations++
				v.evidence("%s inc %d WorkerId %d at %s: ID %d after %d", n.name, b.Inc, wid, b.At, ids[0], cur.max)
			}
			for j := 1; j < len(ids); j++ {
				if ids[j] <= ids[j-1] {
					v.OrderViolations++
					v.evidence("%s inc %d at %s: inside one answer ID %d after %d", n.name, b.Inc, b.At, ids[j], ids[j-1])
				}
			}
			cur.min, cur.max, cur.to = min(cur.min, slices.Min(ids)), max(cur.max, slices.Max(ids)), b.At
			f.judgeBatch(&v, i, n, samples, lay, b, wid, ids)
		}
		if cur != nil {
			runs = append(runs, *cur)
		}
	}
	v.IDs = len(all)
	f.chaos.mu.Lock()
	all = append(all, f.chaos.ids...)
	v.IDs += len(f.chaos.ids)
	for _, a := range f.chaos.anomalies {
		v.Protocol++
		v.evidence("chaos: %s", a)
	}
	v.Notes = append(v.Notes, f.chaos.notes...)
	f.chaos.mu.Unlock()
	f.checkDuplicates(&v, all)
	checkRanges(&v, f, runs)
	f.timings(&v)
	if f.segTags != nil {
		f.checkSegments(&v, f.showSegment)
	}
	return v
}

// judgeBatch checks one answer's WorkerId and fence against the samples.
func (f *fleet) judgeBatch(v *verdict, i int, n *fleetNode, samples *sampleLog, lay idLayout, b batchRec, wid int64, ids []int64) {
	served := f.servedAt(n, lay, slices.Max(ids), b.At)
	s1, s2 := samples.around(b.Inc, b.At)
	g1, g2 := samples.around(b.Inc, min(served+time.Millisecond, b.At))
	held := false
	seen := false
	for _, s := range []*statusSample{s1, s2, g1, g2} {
		if s != nil {
			seen = true
			held = held || s.WorkerID == wid
		}
	}
	if seen && !held {
		v.WorkerViolations++
		v.evidence("%s inc %d at %s: IDs %d.. carry WorkerId %d; samples around say %s", n.name, b.Inc, b.At, ids[0], wid,
			describe(s1, s2, g1, g2))
	}
	// The fence: the last sample before the batch was issued, of the same
	// WorkerId, bounds the deadline from below; a later sample of the same
	// holding may show it was extended in between.
	if g1 == nil || g1.WorkerID != wid {
		return
	}
	v.FenceChecked++
	past := served - g1.Deadline()
	if past > 0 {
		if s := samples.firstAfter(b.Inc, served); s != nil && s.WorkerID == wid && s.HeldSince == g1.HeldSince && s.Deadline() >= served {
			if past > fenceSlack {
				v.FenceExplained++
			}
			v.MaxPastFence = max(v.MaxPastFence, served-s.Deadline())
			return
		}
	}
	if past <= fenceSlack {
		v.MaxPastFence = max(v.MaxPastFence, past)
		return
	}
	// The node may have lost the holding and acquired the same WorkerId
	// again between the sample and the issue: a later sample of a newer
	// holding, acquired before the issue, whose deadline covers it.
	if s := samples.firstAfter(b.Inc, served); s != nil && s.WorkerID == wid && s.HeldSince != g1.HeldSince && s.Deadline() >= served {
		if at, ok := f.heldAt(n, s, b.At); ok && at <= served+fenceSlack {
			v.FenceExplained++
			v.MaxPastFence = max(v.MaxPastFence, served-s.Deadline())
			return
		}
	}
	v.MaxPastFence = max(v.MaxPastFence, past)
	v.FenceViolations++
	v.evidence("%s inc %d WorkerId %d: ID %d issued at %s, %s after the deadline %s (sample at %s said %.3fs left); answer read at %s",
		n.name, b.Inc, wid, slices.Max(ids), served, past, g1.Deadline(), g1.At, g1.LeaseLeft.Seconds(), b.At)
}

// heldAt is when the holding a sample reports was acquired, on the fleet's
// clock, shifted by the node's clock offset as servedAt is.
func (f *fleet) heldAt(n *fleetNode, s *statusSample, at time.Duration) (time.Duration, bool) {
	t, err := time.Parse(time.RFC3339Nano, s.HeldSince)
	if err != nil {
		return 0, false
	}
	return t.Sub(f.start.Round(0)) - n.maxOffset(at-time.Second, at), true
}

func describe(ss ...*statusSample) string {
	out := ""
	for _, s := range ss {
		if s == nil {
			out += "[none] "
			continue
		}
		out += fmt.Sprintf("[%s wid %d ready %v %s] ", s.At, s.WorkerID, s.Ready, s.ReasonCode)
	}
	return out
}

// firstAfter returns the first sample of incarnation inc at or after at.
func (l *sampleLog) firstAfter(inc int64, at time.Duration) *statusSample {
	_, after := l.around(inc, at)
	return after
}

// checkDuplicates sorts every ID received and names the repeated ones.
func (f *fleet) checkDuplicates(v *verdict, all []int64) {
	slices.Sort(all)
	var dups []int64
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			v.Duplicates++
			if len(dups) < 10 {
				dups = append(dups, all[i])
			}
		}
	}
	for _, d := range dups {
		where := ""
		for i, l := range f.loads {
			for _, b := range l.batches {
				if slices.Contains(l.ids[b.First:b.First+b.N], d) {
					where += fmt.Sprintf(" %s inc %d at %s;", f.nodes[i].name, b.Inc, b.At)
				}
			}
		}
		v.evidence("duplicate ID %d:%s (chaos clients not listed)", d, where)
	}
}

// checkRanges checks that the runs of one WorkerId, by whichever node and
// incarnation, cover disjoint ID ranges: each new holder starts above the
// reserved window of the one before.
func checkRanges(v *verdict, f *fleet, runs []run) {
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].wid != runs[j].wid {
			return runs[i].wid < runs[j].wid
		}
		return runs[i].min < runs[j].min
	})
	for i := 1; i < len(runs); i++ {
		a, b := runs[i-1], runs[i]
		if a.wid == b.wid && b.min <= a.max {
			v.RangeOverlaps++
			v.evidence("WorkerId %d: %s inc %d [%d..%d] (%s..%s) overlaps %s inc %d [%d..%d] (%s..%s)", a.wid,
				f.nodes[a.node].name, a.inc, a.min, a.max, a.from, a.to, f.nodes[b.node].name, b.inc, b.min, b.max, b.from, b.to)
		}
	}
}

// timings measures, over the first fault's targets, the time from the
// fault to the first UNAVAILABLE, and from the last heal to every target
// that answers again answering with IDs.
func (f *fleet) timings(v *verdict) {
	var fault, heal *event
	for _, e := range f.events() {
		switch {
		case e.Kind == "fault" && fault == nil:
			fault = &e
		case e.Kind == "heal":
			heal = &e
		}
	}
	if fault == nil {
		return
	}
	targets := fault.Targets
	if len(targets) == 0 {
		for i := range f.nodes {
			targets = append(targets, i)
		}
	}
	for _, i := range targets {
		for _, e := range f.loads[i].errs {
			if e.Code == "UNAVAILABLE" && e.At >= fault.At {
				if d := e.At - fault.At; v.FaultToUnavailable < 0 || d < v.FaultToUnavailable {
					v.FaultToUnavailable = d
				}
				break
			}
		}
	}
	if heal == nil {
		return
	}
	for _, i := range targets {
		for _, b := range f.loads[i].batches {
			if b.At >= heal.At {
				v.HealToGood = max(v.HealToGood, b.At-heal.At)
				break
			}
		}
	}
}
