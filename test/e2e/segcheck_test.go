package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// segHangBound is how long a segment request may go unanswered, not
// counting the time the test kept its node stopped: a node with nothing
// loaded waits about a second for the store before it answers UNAVAILABLE.
const segHangBound = 5 * time.Second

// segOutageGrace is how long into an outage an UNAVAILABLE is not judged
// for refusing loaded IDs: a fetch the store answered just before the
// fault may still land.
const segOutageGrace = time.Second

// segVerdict is what the checker found in the segment load.
type segVerdict struct {
	On          bool
	IDs         int
	Requests    int // answered: IDs or ERR
	Duplicates  int // per tag, across every node
	Order       int // answers not above an earlier one of the same node and tag
	Restart     int // incarnations with an ID not above an ID received before their launch
	Restarts    int // incarnations so checked
	Range       int // IDs outside [1, max_id) of the record read at the end
	Hangs       int // requests unanswered past segHangBound
	Protocol    int // short or garbled answers, ERR other than UNAVAILABLE, unreadable records
	Refused     int // UNAVAILABLE in an outage for a count the node served later in it
	Overrun     int // more IDs served in an outage than a status sample in it showed loaded
	Unavailable int
	Dropped     int // requests whose connection ended (a killed node) within the bound
	DownIDs     int // IDs answered to requests sent to a node in an outage
	DownUNA     int // UNAVAILABLE answered to requests sent to a node in an outage
	MaxWait     time.Duration
}

func (s segVerdict) violations() int {
	return s.Order + s.Restart + s.Range + s.Hangs + s.Protocol + s.Refused + s.Overrun
}

// segAnswer is one answer of IDs, with its node.
type segAnswer struct {
	segRec
	node int
	ids  []int64
}

func (a *segAnswer) max() int64 { return a.ids[len(a.ids)-1] }

// segErrAt is one ERR answer, with its node.
type segErrAt struct {
	segErr
	node int
}

// checkSegments judges the segment load: uniqueness per tag, each node's
// order, incarnations above what came before them, the record's max_id
// above every ID, no hang, and what nodes answered while cut off from the
// store. record reads a tag's record at the end (showSegment: call it
// after finish, with the store up).
func (f *fleet) checkSegments(v *verdict, record func(tag string) (segmentShow, error)) {
	s := &v.Seg
	s.On = true
	byTag := make([][]*segAnswer, len(f.segTags))
	var errs []segErrAt
	for i, logs := range f.segLogs {
		for _, l := range logs {
			for _, r := range l.recs {
				a := &segAnswer{segRec: r, node: i, ids: l.ids[r.First : r.First+r.N]}
				s.Requests++
				s.IDs += r.N
				f.segWaited(v, i, r.segReq, r.At, "answered")
				if r.N > 0 {
					byTag[r.Tag] = append(byTag[r.Tag], a)
				}
			}
			for _, e := range l.errs {
				s.Requests++
				f.segWaited(v, i, e.segReq, e.At, "answered "+e.Code)
				errs = append(errs, segErrAt{segErr: e, node: i})
				switch e.Code {
				case "UNAVAILABLE":
					s.Unavailable++
				default:
					s.Protocol++
					v.evidence("segment: %s inc %d conn %d at %s: %s %s", f.nodes[i].name, e.Inc, e.Conn, e.At, e.Code, e.Msg)
				}
			}
			for _, x := range l.lost {
				if !f.segWaited(v, i, x.segReq, x.End, "") {
					s.Dropped++
				}
			}
		}
	}
	v.Notes = append(v.Notes, f.unavailableReasons(errs)...)
	for t, answers := range byTag {
		f.segDuplicates(v, t, answers)
		f.segOrder(v, t, answers)
		f.segIncarnations(v, t, answers)
		f.segRange(v, t, answers, record)
	}
	f.segOutages(v, byTag, errs)
}

// unavailableReasons counts the segment UNAVAILABLE answers by reason,
// numbers masked, the most frequent first (at most five).
func (f *fleet) unavailableReasons(errs []segErrAt) []string {
	digits := regexp.MustCompile(`[0-9][0-9.]*`)
	count := map[string]int{}
	first := map[string]segErrAt{}
	var order []string
	for _, e := range errs {
		if e.Code != "UNAVAILABLE" {
			continue
		}
		key := digits.ReplaceAllString(e.Msg, "N")
		if count[key] == 0 {
			first[key] = e
			order = append(order, key)
		}
		count[key]++
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	var out []string
	for _, k := range order[:min(len(order), 5)] {
		e := first[k]
		out = append(out, fmt.Sprintf("segment UNAVAILABLE x%d like: %s inc %d at %.2fs: %s", count[k], f.nodes[e.node].name, e.Inc, e.At.Seconds(), clip([]byte(e.Msg))))
	}
	return out
}

// segWaited checks that a request sent to node i got its answer (what
// says which), or saw its connection end (what is empty), by end within
// segHangBound, the node's stopped time aside. It reports whether the
// request hung.
func (f *fleet) segWaited(v *verdict, i int, r segReq, end time.Duration, what string) bool {
	wait := end - r.Sent - f.nodes[i].pausedWithin(r.Sent, end)
	if what == "" {
		what = "unanswered when its connection ended"
	} else {
		v.Seg.MaxWait = max(v.Seg.MaxWait, wait)
	}
	if wait <= segHangBound {
		return false
	}
	v.Seg.Hangs++
	v.evidence("segment: %s: %d %s sent at %s %s at %s: %s waited (stopped time aside), over %s",
		f.nodes[i].name, r.N, f.segTags[r.Tag], r.Sent, what, end, wait, segHangBound)
	return true
}

// segDuplicates counts the IDs of tag t received more than once, across
// every node.
func (f *fleet) segDuplicates(v *verdict, t int, answers []*segAnswer) {
	var all []int64
	for _, a := range answers {
		all = append(all, a.ids...)
	}
	slices.Sort(all)
	var dups []int64
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			v.Seg.Duplicates++
			if len(dups) < 10 {
				dups = append(dups, all[i])
			}
		}
	}
	for _, d := range dups {
		where := ""
		for _, a := range answers {
			if slices.Contains(a.ids, d) {
				where += fmt.Sprintf(" %s inc %d conn %d (sent %s, read %s);", f.nodes[a.node].name, a.Inc, a.Conn, a.Sent, a.At)
			}
		}
		v.evidence("segment %s: duplicate ID %d:%s", f.segTags[t], d, where)
	}
}

// segOrder checks that each node's IDs of tag t strictly increase: inside
// an answer; on one connection, whose answers come in request order; and
// across the node's connections and incarnations, where an answer read
// before another request was sent must be below that request's IDs. An
// answer is counted once however many of these it breaks.
func (f *fleet) segOrder(v *verdict, t int, answers []*segAnswer) {
	for i := range f.nodes {
		var mine []*segAnswer
		for _, a := range answers {
			if a.node == i {
				mine = append(mine, a)
			}
		}
		bad := map[*segAnswer]bool{}
		flag := func(a *segAnswer, format string, args ...any) {
			if !bad[a] {
				bad[a] = true
				v.Seg.Order++
				v.evidence("segment %s: %s inc %d conn %d, %d IDs sent at %s read at %s: "+format,
					append([]any{f.segTags[t], f.nodes[i].name, a.Inc, a.Conn, a.N, a.Sent, a.At}, args...)...)
			}
		}
		for _, a := range mine {
			for j := 1; j < len(a.ids); j++ {
				if a.ids[j] <= a.ids[j-1] {
					flag(a, "inside the answer ID %d after %d", a.ids[j], a.ids[j-1])
					break
				}
			}
		}
		byRead := slices.Clone(mine)
		sort.SliceStable(byRead, func(x, y int) bool {
			if byRead[x].Conn != byRead[y].Conn {
				return byRead[x].Conn < byRead[y].Conn
			}
			return byRead[x].At < byRead[y].At
		})
		for j := 1; j < len(byRead); j++ {
			p, a := byRead[j-1], byRead[j]
			if p.Conn == a.Conn && a.ids[0] <= p.max() {
				flag(a, "first ID %d not above %d, the last of the answer before on the connection", a.ids[0], p.max())
			}
		}
		sort.SliceStable(byRead, func(x, y int) bool { return byRead[x].At < byRead[y].At })
		bySent := slices.Clone(mine)
		sort.SliceStable(bySent, func(x, y int) bool { return bySent[x].Sent < bySent[y].Sent })
		var top *segAnswer // the answer with the highest ID read so far
		j := 0
		for _, a := range bySent {
			for ; j < len(byRead) && byRead[j].At < a.Sent; j++ {
				if top == nil || byRead[j].max() > top.max() {
					top = byRead[j]
				}
			}
			if top != nil && a.ids[0] <= top.max() {
				flag(a, "first ID %d not above ID %d, read at %s (inc %d conn %d) before this request was sent",
					a.ids[0], top.max(), top.At, top.Inc, top.Conn)
			}
		}
	}
}

// segIncarnations checks that every incarnation's IDs of tag t are above
// every ID of t any node received before it was launched: its segments
// come from max_id, which already covered those IDs when it started.
func (f *fleet) segIncarnations(v *verdict, t int, answers []*segAnswer) {
	byRead := slices.Clone(answers)
	sort.SliceStable(byRead, func(x, y int) bool { return byRead[x].At < byRead[y].At })
	top := make([]*segAnswer, len(byRead)) // top[k]: highest of byRead[:k+1]
	for k, a := range byRead {
		top[k] = a
		if k > 0 && top[k-1].max() > a.max() {
			top[k] = top[k-1]
		}
	}
	type key struct {
		node int
		inc  int64
	}
	lowest := map[key]*segAnswer{}
	for _, a := range answers {
		k := key{a.node, a.Inc}
		if l := lowest[k]; l == nil || a.ids[0] < l.ids[0] {
			lowest[k] = a
		}
	}
	keys := make([]key, 0, len(lowest))
	for k := range lowest {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(x, y int) bool {
		return keys[x].node < keys[y].node || keys[x].node == keys[y].node && keys[x].inc < keys[y].inc
	})
	for _, k := range keys {
		launched, ok := f.nodes[k.node].launchedAt(k.inc)
		if !ok {
			continue
		}
		n := sort.Search(len(byRead), func(x int) bool { return byRead[x].At >= launched })
		if n == 0 {
			continue
		}
		v.Seg.Restarts++
		before, low := top[n-1], lowest[k]
		if low.ids[0] <= before.max() {
			v.Seg.Restart++
			v.evidence("segment %s: %s inc %d, launched at %s, answered ID %d (conn %d, read at %s), not above ID %d that %s inc %d received at %s",
				f.segTags[t], f.nodes[k.node].name, k.inc, launched, low.ids[0], low.Conn, low.At,
				before.max(), f.nodes[before.node].name, before.Inc, before.At)
		}
	}
}

// segRange reads tag t's record and checks that every ID of t is in
// [1, max_id): max_id is an exclusive bound on every ID handed out, and
// the tag was created to start at 1.
func (f *fleet) segRange(v *verdict, t int, answers []*segAnswer, record func(string) (segmentShow, error)) {
	tag := f.segTags[t]
	rec, err := record(tag)
	if err != nil {
		v.Seg.Protocol++
		v.evidence("segment %s: reading the record at the end: %v", tag, err)
		return
	}
	var highest int64
	reported := 0
	for _, a := range answers {
		highest = max(highest, a.max())
		for _, id := range a.ids {
			if id >= 1 && id < rec.MaxID {
				continue
			}
			v.Seg.Range++
			if reported < 3 {
				reported++
				v.evidence("segment %s: %s inc %d conn %d read ID %d at %s; the record at the end has max_id %d (step %d)",
					tag, f.nodes[a.node].name, a.Inc, a.Conn, id, a.At, rec.MaxID, rec.Step)
			}
		}
	}
	v.Notes = append(v.Notes, fmt.Sprintf("segment %s: max_id %d at the end, highest ID received %d", tag, rec.MaxID, highest))
}

// segOutages counts what the nodes an outage cut off answered to the
// requests sent to them meanwhile, and flags an UNAVAILABLE for n IDs when
// the same incarnation served n or more IDs of the tag later in the same
// outage: with no segment to be had from the store, it had them loaded.
func (f *fleet) segOutages(v *verdict, byTag [][]*segAnswer, errs []segErrAt) {
	for _, o := range f.outages() {
		var parts []string
		for i := range f.nodes {
			if !o.covers(i) {
				continue
			}
			ids, una := 0, 0
			lastIDs, firstUNA := time.Duration(-1), time.Duration(-1)
			for _, answers := range byTag {
				for _, a := range answers {
					if a.node == i && a.Sent >= o.From && a.Sent < o.To {
						ids += a.N
						lastIDs = max(lastIDs, a.At)
					}
				}
			}
			for _, e := range errs {
				if e.node != i || e.Code != "UNAVAILABLE" || e.Sent < o.From || e.Sent >= o.To {
					continue
				}
				una++
				if firstUNA < 0 || e.At < firstUNA {
					firstUNA = e.At
				}
				if e.Sent < o.From+segOutageGrace {
					continue
				}
				for _, a := range byTag[e.Tag] {
					if a.node == i && a.Inc == e.Inc && a.Sent >= e.At && a.At <= o.To && a.N >= e.N {
						v.Seg.Refused++
						v.evidence("segment %s: %s inc %d answered UNAVAILABLE for %d IDs at %s (%s) during %s, then %d IDs at %s (conn %d): it had them loaded",
							f.segTags[e.Tag], f.nodes[i].name, e.Inc, e.N, e.At, e.Msg, o.What, a.N, a.At, a.Conn)
						break
					}
				}
			}
			v.Seg.DownIDs += ids
			v.Seg.DownUNA += una
			held := f.segOverrun(v, o, i, byTag)
			parts = append(parts, fmt.Sprintf("%s %s, %d IDs (last read +%s), %d UNAVAILABLE (first +%s)",
				f.nodes[i].name, held, ids, afterFrom(lastIDs, o.From), una, afterFrom(firstUNA, o.From)))
		}
		v.Notes = append(v.Notes, fmt.Sprintf("segment requests during %s (%.2fs..%.2fs): %s",
			o.What, o.From.Seconds(), o.To.Seconds(), strings.Join(parts, "; ")))
	}
}

// segOverrun checks that node i handed out no more IDs of a tag in outage
// o than a status sample taken in it showed loaded: no segment can come
// from the store until the outage ends, so the IDs served to requests sent
// after the sample's answer arrived come from what it showed. It describes
// what the first such sample showed, and how many IDs it served after.
func (f *fleet) segOverrun(v *verdict, o outage, i int, byTag [][]*segAnswer) string {
	if i >= len(f.samples) {
		return "no samples"
	}
	held := "no status sample in the outage"
	flagged := map[int]bool{}
	for _, smp := range f.samples[i].s {
		if smp.Sent < o.From+segOutageGrace || smp.At >= o.To {
			continue
		}
		var total, after int64
		for t, answers := range byTag {
			loaded := smp.Segments[f.segTags[t]]
			total += loaded
			served := 0
			var last *segAnswer
			for _, a := range answers {
				if a.node == i && a.Inc == smp.Incarnation && a.Sent >= smp.At && a.At <= o.To {
					served += a.N
					last = a
				}
			}
			after += int64(served)
			if int64(served) > loaded && !flagged[t] {
				flagged[t] = true
				v.Seg.Overrun++
				v.evidence("segment %s: %s inc %d held %d IDs at %s (status sample) during %s, then answered %d IDs to requests sent after it, the last %d..%d read at %s (conn %d)",
					f.segTags[t], f.nodes[i].name, smp.Incarnation, loaded, smp.At, o.What, served, last.ids[0], last.max(), last.At, last.Conn)
			}
		}
		if held == "no status sample in the outage" {
			held = fmt.Sprintf("held %d IDs at +%.2fs and served %d after", total, (smp.At - o.From).Seconds(), after)
		}
	}
	return held
}

// afterFrom formats at − from in seconds, or "-" when at is negative
// (never).
func afterFrom(at, from time.Duration) string {
	if at < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", (at - from).Seconds())
}
