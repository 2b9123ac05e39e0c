package console

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
)

// driftWarn is the share of clock.max-drift at which an offset marks a row.
const driftWarn = 0.8

// The words of a marked row.
const (
	problemStale     = "stale"
	problemDrift     = "drift"
	problemPastLease = "past lease"
	problemBadRecord = "bad record"
	problemFetch     = "fetch failing"
)

// view is everything the page shows, as text: the template only places it.
type view struct {
	Title   string
	Now     string
	Refresh int
	Node    nodeView

	HasFleet  bool
	Fleet     []holderRow
	FleetNote string // the fleet's count and how many rows are marked
	FleetErr  string
	FleetAge  string

	Tags     []tagRow
	TagsErr  string
	TagsAge  string
	TagsNote string

	Charts []chart
}

// nodeView is this node.
type nodeView struct {
	Starting   bool
	Name       string
	WorkerID   string
	Datacenter string // empty when the layout has no datacenter field
	W          string
	WAhead     string
	FenceLeft  string
	Offset     string
	Peers      string
	Ready      bool
	Reason     string
	ReasonCode string
	Layout     string
}

// holderRow is one WorkerId as the store sees it.
type holderRow struct {
	WorkerID int64
	Node     string
	Admin    string
	Self     bool
	Live     bool
	Lease    string
	W        string
	WAhead   string
	Report   string
	Offset   string
	Problems string
	Bad      bool
	// Class is the row's CSS classes: bad (marked), free (not held now),
	// self (this node).
	Class string
}

// tagRow is one segment tag: the store's record and this node's buffers.
type tagRow struct {
	Tag         string
	Description string
	MaxID       string
	Step        string
	Updated     string
	Loaded      bool
	DynStep     string
	Current     bufView
	Next        *bufView
	Served      string
	LastError   string
	Problems    string
	Bad         bool
}

// bufView is one loaded segment and how much of it is used.
type bufView struct {
	Range string
	Used  string
	Pct   string // width of the used part of a 100-wide bar
}

// build reads the sources and makes the page's view.
func (c *Console) build(ctx context.Context) *view {
	now := c.cfg.Clock.Now()
	st, started := c.cfg.Node()
	v := &view{Title: "idcoord", Now: when(now), Refresh: int(c.cfg.Refresh / time.Second)}
	v.Node = c.nodeView(st, started)
	if started && st.Node != "" {
		v.Title = "idcoord " + st.Node
	}
	if c.fleet != nil {
		v.HasFleet = true
		r := c.fleet.get(ctx)
		v.FleetErr, v.FleetAge = storeLine(r.Err, r.Pending, r.HasVal, r.At)
		v.Fleet = c.holderRows(r.Val, st, started, now)
		bad := 0
		for _, h := range v.Fleet {
			if h.Bad {
				bad++
			}
		}
		v.FleetNote = plural(len(v.Fleet), "WorkerId") + " in the store"
		if bad > 0 {
			v.FleetNote += ", " + strconv.Itoa(bad) + " marked"
		}
	}
	var entries []coord.SegmentEntry
	if c.segments != nil {
		r := c.segments.get(ctx)
		v.TagsErr, v.TagsAge = storeLine(r.Err, r.Pending, r.HasVal, r.At)
		entries = r.Val
	}
	v.Tags = tagRows(entries, st.Segments)
	v.TagsNote = plural(len(v.Tags), "tag")
	ss := c.hist.samples()
	if c.cfg.IDsIssued != nil {
		v.Charts = append(v.Charts, rateChart(ss, now, c.cfg.Window))
	}
	v.Charts = append(v.Charts, offsetChart(ss, now, c.cfg.Window, c.cfg.MaxDrift))
	return v
}

// plural is "1 tag", "2 tags".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// storeLine says what went wrong with a store read, and how old the rows
// shown are when they are not from the last read.
func storeLine(err error, pending, hasVal bool, at time.Time) (errLine, age string) {
	switch {
	case pending:
		errLine = "store did not answer yet: a read is in flight"
	case err != nil:
		errLine = "store did not answer: " + err.Error()
	default:
		return "", ""
	}
	if hasVal {
		age = "rows as read " + short(time.Since(at)) + " ago"
	}
	return errLine, age
}

func (c *Console) nodeView(st idcoord.Status, started bool) nodeView {
	if !started {
		return nodeView{Starting: true, WorkerID: "none yet", Reason: "starting: acquiring a WorkerId", ReasonCode: idcoord.ReasonAcquiring}
	}
	n := nodeView{Name: st.Node, Ready: st.Ready, Reason: st.Reason, ReasonCode: st.ReasonCode, WorkerID: "none", W: "none"}
	l := st.Layout
	n.Layout = strconv.Itoa(l.TimeBits) + " time bits (" + l.TimeUnit + "), " + strconv.Itoa(l.WorkerBits) + " worker, " +
		strconv.Itoa(l.SequenceBits) + " sequence"
	if l.DatacenterBits > 0 {
		n.Datacenter = strconv.FormatInt(l.DatacenterID, 10)
		n.Layout += ", " + strconv.Itoa(l.DatacenterBits) + " datacenter"
	}
	if st.WorkerID >= 0 {
		n.WorkerID = strconv.FormatInt(st.WorkerID, 10)
		n.W = when(st.HighWater)
		n.WAhead = seconds(st.HighWaterAheadSeconds)
		n.FenceLeft = seconds(st.LeaseLeftSeconds)
	}
	cl := st.Clock
	n.Peers = strconv.Itoa(cl.PeersAnswered) + " of " + strconv.Itoa(cl.PeersAsked) + " peers answered"
	if !cl.LastPeerCheck.IsZero() {
		n.Peers += " at " + when(cl.LastPeerCheck)
	}
	if cl.PeersAnswered > 0 {
		n.Offset = seconds(cl.MeanOffset)
	} else {
		n.Offset = "not measured"
	}
	return n
}

// holderRows makes one row per Holding. A live holder's row is marked when
// its report is stale, its offset near clock.max-drift, or its lease past.
func (c *Console) holderRows(hs []coord.Holding, st idcoord.Status, started bool, now time.Time) []holderRow {
	rows := make([]holderRow, 0, len(hs))
	var problems []string
	for _, h := range hs {
		r := holderRow{WorkerID: h.WorkerID, Node: h.Node, Admin: h.Admin, Live: h.Live, W: "none", Report: "none", Offset: "—"}
		r.Self = started && h.Live && h.Node == st.Node && h.WorkerID == st.WorkerID
		problems = problems[:0]
		switch {
		case !h.Live:
			r.Lease = "free"
		case h.Session == coord.SessionLive:
			r.Lease = "session live"
		case h.Session == coord.SessionNone:
			r.Lease = "no session"
			problems = append(problems, problemPastLease)
		case h.LeaseLeft < 0:
			r.Lease = "unknown"
		case h.LeaseLeft == 0:
			r.Lease = "expired"
			problems = append(problems, problemPastLease)
		default:
			r.Lease = short(h.LeaseLeft) + " left"
		}
		if !h.HighWater.IsZero() {
			r.W = when(h.HighWater)
			r.WAhead = seconds(h.HighWater.Sub(now).Seconds())
		}
		if age, ok := h.ReportAge(now); ok {
			r.Report = short(age) + " ago"
			if h.Live && age > c.cfg.StaleAfter {
				problems = append(problems, problemStale)
			}
		} else if h.Live {
			problems = append(problems, problemStale)
		}
		switch off, ok := st.Clock.PeerOffsets[h.Admin]; {
		case r.Self:
			r.Offset = "this node"
		case ok && h.Admin != "":
			r.Offset = seconds(off)
			if h.Live && math.Abs(off) >= driftWarn*c.cfg.MaxDrift.Seconds() {
				problems = append(problems, problemDrift)
			}
		}
		r.Problems = strings.Join(problems, ", ")
		r.Bad = len(problems) > 0
		r.Class = rowClass(r)
		rows = append(rows, r)
	}
	return rows
}

func rowClass(r holderRow) string {
	c := ""
	switch {
	case r.Bad:
		c = "bad"
	case !r.Live:
		c = "free"
	}
	if r.Self {
		c = strings.TrimSpace(c + " self")
	}
	return c
}

// tagRows joins the store's tags and this node's loaded ones, in tag order.
func tagRows(entries []coord.SegmentEntry, loaded []segment.TagStatus) []tagRow {
	byTag := make(map[string]int, len(entries)+len(loaded))
	rows := make([]tagRow, 0, len(entries)+len(loaded))
	row := func(tag string) *tagRow {
		i, ok := byTag[tag]
		if !ok {
			i = len(rows)
			byTag[tag] = i
			rows = append(rows, tagRow{Tag: tag, MaxID: "—", Step: "—", Updated: "—"})
		}
		return &rows[i]
	}
	for _, e := range entries {
		r := row(e.Tag)
		if e.Err != nil {
			r.Problems, r.Bad = problemBadRecord+": "+e.Err.Error(), true
			continue
		}
		r.Description = e.Record.Description
		r.MaxID = count(e.Record.MaxID)
		r.Step = count(e.Record.Step)
		if e.Record.UpdateTime > 0 {
			r.Updated = when(time.UnixMilli(e.Record.UpdateTime))
		}
	}
	for _, t := range loaded {
		r := row(t.Tag)
		r.Loaded = true
		r.DynStep = count(t.Step)
		r.Current = bufOf(t.Current)
		if t.Next != nil {
			b := bufOf(*t.Next)
			r.Next = &b
		}
		r.Served = count(t.IDsServed)
		if t.LastError != "" {
			r.LastError = t.LastError
			if r.Problems == "" {
				r.Problems = problemFetch
			}
			r.Bad = true
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Tag < rows[j].Tag })
	return rows
}

func bufOf(s segment.SegmentStatus) bufView {
	n := s.End - s.Start
	b := bufView{Range: count(s.Start) + " – " + count(s.End-1), Used: count(s.Used) + " of " + count(n), Pct: "0"}
	if n > 0 {
		b.Pct = strconv.FormatFloat(math.Min(100, 100*float64(s.Used)/float64(n)), 'f', 1, 64)
	}
	return b
}
