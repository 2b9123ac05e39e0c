package coord

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"
)

// ErrNotHeld: no live holder has the WorkerID, so there is nothing to
// revoke. It belongs with the errors in coord.go; it is declared here, beside
// the Inspector that returns it.
var ErrNotHeld = errors.New("coord: WorkerId not held")

// HistoryDepth bounds Inspector.History: the newest reports it returns.
const HistoryDepth = 20

// Session states of a ZooKeeper Holding.
const (
	SessionLive = "live" // a ZooKeeper session holds workers/<wid>
	SessionNone = "none" // no session holds it
)

// Holding is one WorkerID as an operator sees it: held now, or held before
// and remembered by its W record or a clock report.
type Holding struct {
	WorkerID int64
	// Node is the holder's node name; when no one holds the WorkerID now,
	// the node that held it last, as far as the store tells.
	Node string
	// Admin is the holder's admin address, from the holder record or the
	// last clock report.
	Admin string
	// Since is when the holder claimed the WorkerID; zero unless Live.
	Since time.Time
	// Live is true while a holder record (workers/<wid>) exists.
	Live bool
	// LeaseLeft is the time left on the holder's etcd lease, as the server
	// counts it (whole seconds); 0 when not Live, -1 when unknown (always on
	// ZooKeeper, whose sessions other clients cannot read).
	LeaseLeft time.Duration
	// Session is SessionLive or SessionNone on ZooKeeper; empty on etcd.
	Session string
	// HighWater is the persisted W; zero when none was ever written.
	HighWater time.Time
	// LastReport is Node's last clock report (leaf_forever/<node>) when it
	// was made under this WorkerID; nil otherwise.
	LastReport *Report
	// Stuck is true for a holder record that nothing will remove (on etcd
	// under no lease, on ZooKeeper not ephemeral): acquisitions skip its
	// WorkerID (see coord.Skipped) until Revoke clears it. Live is true
	// too.
	Stuck bool
	// Bad is why the WorkerID's W record cannot be read, naming the
	// record; empty when it can. Acquisitions skip the WorkerID until an
	// operator repairs the record.
	Bad string
}

// ReportAge is how old the last clock report is at now, and false when
// there is none.
func (h Holding) ReportAge(now time.Time) (time.Duration, bool) {
	if h.LastReport == nil {
		return 0, false
	}
	return now.Sub(h.LastReport.Time()), true
}

// Inspector is the read side of a Backend for operator tools, plus Revoke.
// Both backends implement it. Its methods are safe for concurrent use.
type Inspector interface {
	// Holdings lists one Holding per WorkerID held now or held before (it
	// has a W record, or a node's last clock report names it), sorted by
	// WorkerID. A stuck holder record is listed (Stuck) even when it
	// cannot be decoded, and so is a W record that cannot be (Bad); other
	// records that cannot be decoded are logged and left out.
	// Errors wrap ErrUnreachable or ctx's error.
	Holdings(ctx context.Context) ([]Holding, error)
	// History returns node's clock reports from leaf_forever/<node>, newest
	// first, at most HistoryDepth of them, and none when the node never
	// reported. How far back it reaches depends on the store: see each
	// backend's documentation.
	History(ctx context.Context, node string) ([]Report, error)
	// Revoke takes wid away from its holder at once and returns the
	// holder's node name. The holder's watch sees it and stops issuing; the
	// holder then acquires a WorkerID again. Errors wrap ErrNotHeld when no
	// one holds wid, ErrUnreachable, or ctx's error.
	Revoke(ctx context.Context, wid int64) (holder string, err error)
	// StoredLayout returns the cluster's layout (LayoutKey), and false when
	// none is stored. It writes nothing. Errors wrap ErrBadRecord (naming
	// the key) when the stored layout cannot be read, ErrUnreachable, or
	// ctx's error.
	StoredLayout(ctx context.Context) (LayoutRecord, bool, error)
}

// Mark is a WorkerID's persisted W and the node that wrote it last, as a
// backend reads it for Holdings.
type Mark struct {
	WorkerID int64
	W        time.Time
	Holder   string
	Bad      string // why the W record cannot be read (Holding.Bad); W and Holder are then zero
}

// MergeHoldings joins what a backend read for Holdings into one Holding per
// WorkerID, sorted by WorkerID: live holds the holdings of the current
// holders (Live set), marks the W records, and reports the last clock report
// of each node, by node name.
//
// A WorkerID that no one holds takes its Node from its mark, or else from a
// report that names it. A report is attached to the row of its node and
// WorkerID only, so a row never shows another node's clock; a report whose
// WorkerID has no row yet makes one.
func MergeHoldings(live []Holding, marks []Mark, reports map[string]Report) []Holding {
	rows := make(map[int64]*Holding, len(live)+len(marks))
	row := func(wid int64) *Holding {
		h, ok := rows[wid]
		if !ok {
			h = &Holding{WorkerID: wid}
			rows[wid] = h
		}
		return h
	}
	for _, l := range live {
		h := row(l.WorkerID)
		*h = l
		h.Live = true
	}
	for _, m := range marks {
		h := row(m.WorkerID)
		h.HighWater, h.Bad = m.W, m.Bad
		if h.Node == "" {
			h.Node = m.Holder
		}
	}
	// Reports in node order, so that which node names an unheld row does
	// not depend on map order.
	nodes := make([]string, 0, len(reports))
	for n := range reports {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		r := reports[n]
		h := row(r.WorkerID)
		if h.Node == "" {
			h.Node = n
		}
		if h.Node != n {
			continue
		}
		h.LastReport = &r
		if h.Admin == "" {
			h.Admin = r.Admin
		}
	}
	out := make([]Holding, 0, len(rows))
	for _, h := range rows {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Holding) int { return cmp.Compare(a.WorkerID, b.WorkerID) })
	return out
}
