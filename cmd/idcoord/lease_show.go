package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

// leaseShow is the JSON and YAML document of lease show.
type leaseShow struct {
	Holder holderView `json:"holder" yaml:"holder"`
	// History is the node's clock reports, newest first.
	History []reportView `json:"history" yaml:"history"`
}

func newLeaseShowCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show [-o table|json|yaml] WORKERID|NODE",
		Short: "Show one WorkerId's holder in full, with its clock report history",
		Long: `show prints one WorkerId, given by number or by node name, with everything
lease ls knows of it, and the node's clock reports from leaf_forever/<node>,
newest first. On etcd the history walks back through the key's revisions,
at most ` + strconv.Itoa(coord.HistoryDepth) + ` reports (about a minute at one report every 3s) and no
further than the last compaction. ZooKeeper keeps no history, so there it
holds the last report only.

A number is read as a WorkerId first, then as a node name. A node that held
several WorkerIds shows the one it holds now, else the one it reported last;
a node whose last WorkerId another node holds now shows that WorkerId as not
live, from its last report.

-o json and -o yaml print {"holder": {... as in lease ls ...},
"history": [{"time", "timestamp", "worker_id", "admin"}, ...]}.`,
		Example: "  idcoord lease show 3\n  idcoord lease show web-0 -o json",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	onStore(cmd, cfg, out, func(ctx context.Context, ins *inspection, s *settings, args []string) error {
		rows, err := readHoldings(ctx, ins, s, cmd.ErrOrStderr())
		if err != nil {
			return fmt.Errorf("lease show: %w", err)
		}
		h, ok := pickHolding(rows, args[0])
		node := h.Node
		if !ok {
			node = args[0] // perhaps a node whose last WorkerId another holds now
		}
		var history []coord.Report
		if node != "" {
			if history, err = ins.History(ctx, node); err != nil {
				return fmt.Errorf("lease show: %w", err)
			}
		}
		if !ok {
			if len(history) == 0 && len(rows) == 0 {
				return fmt.Errorf("lease show: %w", noRecords(s))
			}
			if len(history) == 0 {
				return fmt.Errorf("lease show: %w: no WorkerId or node %q is held or was held in cluster %q of %s",
					errNoHolding, args[0], s.Cluster, storeName(s))
			}
			last := history[0]
			h = coord.Holding{WorkerID: last.WorkerID, Node: node, Admin: last.Admin, LastReport: &last}
		}
		return writeLeaseShow(cmd.OutOrStdout(), out.format, h, history, time.Now())
	})
	return cmd
}

// pickHolding finds arg among rows: as a WorkerId, then as a node name. Of
// several rows of one node it takes the live one, else the one with the
// newest clock report.
func pickHolding(rows []coord.Holding, arg string) (coord.Holding, bool) {
	if wid, err := strconv.ParseInt(arg, 10, 64); err == nil {
		for _, h := range rows {
			if h.WorkerID == wid {
				return h, true
			}
		}
	}
	var best *coord.Holding
	for i := range rows {
		h := &rows[i]
		if h.Node != arg {
			continue
		}
		if best == nil || better(h, best) {
			best = h
		}
	}
	if best == nil {
		return coord.Holding{}, false
	}
	return *best, true
}

// better reports whether a describes its node now more than b does.
func better(a, b *coord.Holding) bool {
	switch {
	case a.Live != b.Live:
		return a.Live
	case (a.LastReport == nil) != (b.LastReport == nil):
		return a.LastReport != nil
	case a.LastReport != nil && a.LastReport.Timestamp != b.LastReport.Timestamp:
		return a.LastReport.Timestamp > b.LastReport.Timestamp
	}
	return a.HighWater.After(b.HighWater)
}

// writeLeaseShow prints h and its node's history in format, ages taken at
// now.
func writeLeaseShow(w io.Writer, format string, h coord.Holding, history []coord.Report, now time.Time) error {
	if format != "table" {
		doc := leaseShow{Holder: newHolderView(h, now), History: make([]reportView, 0, len(history))}
		for _, r := range history {
			doc.History = append(doc.History, newReportView(r))
		}
		return writeDocument(w, format, doc)
	}
	cells := holderCells(h, now)
	lines := [][]string{
		{"WorkerId:", cells[colWorker]},
		{"Node:", cells[colNode]},
		{"Admin:", cells[colAdmin]},
		{"Live:", cells[colLive]},
		{"Held since:", cells[colSince]},
		{"Lease:", cells[colLease]},
		{"W:", cells[colW] + ahead(cells[colAhead])},
		{"Last report:", cells[colReport]},
	}
	if err := table(w, lines); err != nil {
		return err
	}
	if err := writeNeedsOperator(w, []coord.Holding{h}); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\nClock reports of %s, newest first:\n", orDash(h.Node)); err != nil {
		return err
	}
	if len(history) == 0 {
		_, err := fmt.Fprintln(w, "(none)")
		return err
	}
	rows := [][]string{{"TIME", "WORKER", "ADMIN", "AGE"}}
	for _, r := range history {
		rows = append(rows, []string{formatTime(r.Time()), strconv.FormatInt(r.WorkerID, 10), orDash(r.Admin), humanDuration(now.Sub(r.Time())) + " ago"})
	}
	return table(w, rows)
}

// ahead says how far W is ahead of this machine's clock, for the W line;
// d is the W AHEAD cell.
func ahead(d string) string {
	switch {
	case d == "-":
		return ""
	case strings.HasPrefix(d, "-"):
		return " (" + d[1:] + " behind this clock)"
	}
	return " (" + strings.TrimPrefix(d, "+") + " ahead of this clock)"
}
