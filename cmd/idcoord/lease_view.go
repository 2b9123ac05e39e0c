package main

import (
	"strconv"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// holderView is one WorkerId as lease ls and lease show print it in JSON
// and YAML. Every field is always present; what is unknown or does not
// apply is null: held_since unless live, lease_left_seconds on ZooKeeper or
// unless live, session on etcd.
type holderView struct {
	WorkerID int64  `json:"worker_id" yaml:"worker_id"`
	Node     string `json:"node" yaml:"node"`
	Admin    string `json:"admin" yaml:"admin"`
	Live     bool   `json:"live" yaml:"live"`
	// HeldSince is when the holder claimed the WorkerId (RFC 3339, UTC).
	HeldSince *string `json:"held_since" yaml:"held_since"`
	// LeaseLeftSeconds is the time left on the holder's etcd lease.
	LeaseLeftSeconds *float64 `json:"lease_left_seconds" yaml:"lease_left_seconds"`
	// Session is "live" or "none" on ZooKeeper.
	Session *string `json:"session" yaml:"session"`
	// HighWater is the persisted W; HighWaterAheadSeconds how far it is
	// ahead of this machine's clock (negative: behind).
	HighWater             *string  `json:"high_water" yaml:"high_water"`
	HighWaterAheadSeconds *float64 `json:"high_water_ahead_seconds" yaml:"high_water_ahead_seconds"`
	// LastReport is the node's last clock report under this WorkerId, and
	// LastReportAgeSeconds its age by this machine's clock.
	LastReport           *reportView `json:"last_report" yaml:"last_report"`
	LastReportAgeSeconds *float64    `json:"last_report_age_seconds" yaml:"last_report_age_seconds"`
	// Stuck is true for a holder record that never goes by itself (etcd:
	// under no lease; ZooKeeper: not ephemeral): no node can take the
	// WorkerId until lease revoke clears it.
	Stuck bool `json:"stuck" yaml:"stuck"`
	// BadRecord says why the W record cannot be read, naming it; null when
	// it can. No node takes the WorkerId until it is repaired.
	BadRecord *string `json:"bad_record" yaml:"bad_record"`
}

// reportView is one clock report from leaf_forever/<node>.
type reportView struct {
	// Time is the node's clock when it reported (RFC 3339, UTC) and
	// Timestamp the same in unix milliseconds, as stored.
	Time      string `json:"time" yaml:"time"`
	Timestamp int64  `json:"timestamp" yaml:"timestamp"`
	WorkerID  int64  `json:"worker_id" yaml:"worker_id"`
	Admin     string `json:"admin" yaml:"admin"`
}

func newReportView(r coord.Report) reportView {
	return reportView{Time: formatTime(r.Time()), Timestamp: r.Timestamp, WorkerID: r.WorkerID, Admin: r.Admin}
}

// newHolderView shapes h, with ages taken at now.
func newHolderView(h coord.Holding, now time.Time) holderView {
	v := holderView{WorkerID: h.WorkerID, Node: h.Node, Admin: h.Admin, Live: h.Live, Stuck: h.Stuck}
	if h.Bad != "" {
		v.BadRecord = ptr(h.Bad)
	}
	if h.Live && !h.Since.IsZero() {
		v.HeldSince = ptr(formatTime(h.Since))
	}
	if h.Session != "" {
		v.Session = ptr(h.Session)
	} else if h.Live && h.LeaseLeft >= 0 {
		v.LeaseLeftSeconds = secondsPtr(h.LeaseLeft)
	}
	if !h.HighWater.IsZero() {
		v.HighWater = ptr(formatTime(h.HighWater))
		v.HighWaterAheadSeconds = secondsPtr(h.HighWater.Sub(now))
	}
	if age, ok := h.ReportAge(now); ok {
		r := newReportView(*h.LastReport)
		v.LastReport = &r
		v.LastReportAgeSeconds = secondsPtr(age)
	}
	return v
}

// The columns of holderCells, in order.
const (
	colWorker = iota
	colNode
	colAdmin
	colLive
	colSince
	colLease
	colW
	colAhead
	colReport
)

// holderCells are the table cells of h, in the order of holderHeader.
func holderCells(h coord.Holding, now time.Time) []string {
	cells := []string{strconv.FormatInt(h.WorkerID, 10), orDash(h.Node), orDash(h.Admin), yesNo(h.Live), "-", leaseCell(h), "-", "-", "-"}
	if h.Live && !h.Since.IsZero() {
		cells[colSince] = formatTime(h.Since)
	}
	if !h.HighWater.IsZero() {
		cells[colW] = formatTime(h.HighWater)
		cells[colAhead] = signedDuration(h.HighWater.Sub(now))
	}
	if h.Bad != "" {
		cells[colW] = "BAD RECORD"
	}
	if age, ok := h.ReportAge(now); ok {
		cells[colReport] = humanDuration(age) + " ago"
	}
	return cells
}

// holderHeader heads the columns of holderCells.
var holderHeader = []string{"WORKER", "NODE", "ADMIN", "LIVE", "HELD SINCE", "LEASE", "W", "W AHEAD", "LAST REPORT"}

// yesNo is how the tables print a bool.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// leaseCell is the lease column: time left on etcd, session state on
// ZooKeeper, STUCK for a holder record that never goes by itself, "-" when
// none applies.
func leaseCell(h coord.Holding) string {
	switch {
	case h.Stuck:
		return "STUCK"
	case h.Session != "":
		return h.Session
	case h.Live && h.LeaseLeft >= 0:
		return humanDuration(h.LeaseLeft) + " left"
	case h.Live:
		return "unknown"
	}
	return "-"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ptr[T any](v T) *T { return &v }
