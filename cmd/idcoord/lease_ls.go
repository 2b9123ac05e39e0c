package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

// leaseList is the JSON and YAML document of lease ls.
type leaseList struct {
	Holders []holderView `json:"holders" yaml:"holders"`
	Summary leaseSummary `json:"summary" yaml:"summary"`
}

// leaseSummary counts the WorkerIds a node can be handed, 1..max of the
// layout (0 is never handed out): used (held now), reserved (worker.reserved,
// unless held), and free (the rest). In ZooKeeper's sequential mode a
// WorkerId bound to an identity that is not running counts as free,
// although only that identity can take it.
type leaseSummary struct {
	Used     int64  `json:"used" yaml:"used"`
	Free     int64  `json:"free" yaml:"free"`
	Reserved int64  `json:"reserved" yaml:"reserved"`
	Range    string `json:"range" yaml:"range"`
}

func newLeaseListCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls [-o table|json|yaml]",
		Aliases: []string{"list"},
		Short:   "List the WorkerIds held now or before, with their holders",
		Long: `ls prints one row per WorkerId held now or held before (it has a stored W,
or a node's last clock report names it): the WorkerId, the node, its admin
address, when it claimed the WorkerId, the time left on its lease (etcd) or
whether a session holds it (ZooKeeper), the stored W and how far it is ahead
of this machine's clock, and the age of the node's last clock report. A
summary follows: WorkerIds used, free and reserved out of the layout's
1..max (WorkerId 0 is never handed out).

-o json and -o yaml print one document:
  {"holders": [{"worker_id", "node", "admin", "live", "held_since",
    "lease_left_seconds", "session", "high_water", "high_water_ahead_seconds",
    "last_report": {"time", "timestamp", "worker_id", "admin"},
    "last_report_age_seconds"}, ...],
   "summary": {"used", "free", "reserved", "range": "1..1023"}}
Fields that do not apply are null.`,
		Example: "  idcoord lease ls --coord etcd --etcd.endpoints 10.0.0.1:2379 --cluster prod\n  idcoord lease ls -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		s, err := checkedSettings(cfg, out)
		if err != nil {
			return err
		}
		return inspect(cmd, s, func(ctx context.Context, ins *inspection) error {
			rows, err := ins.Holdings(ctx)
			if err != nil {
				return fmt.Errorf("lease ls: %w", err)
			}
			return writeLeaseList(cmd.OutOrStdout(), out.format, rows, summarize(s, rows), time.Now())
		})
	}
	return cmd
}

// summarize counts the WorkerIds of the layout's range 1..max.
func summarize(s *settings, rows []coord.Holding) leaseSummary {
	maxID := s.Layout.MaxWorkerID()
	sum := leaseSummary{Range: fmt.Sprintf("1..%d", maxID)}
	used := make(map[int64]bool)
	for _, h := range rows {
		if h.Live && h.WorkerID >= 1 && h.WorkerID <= maxID {
			used[h.WorkerID] = true
		}
	}
	sum.Used = int64(len(used))
	for _, r := range s.Reserved {
		if r >= 1 && r <= maxID && !used[r] {
			sum.Reserved++
		}
	}
	sum.Free = maxID - sum.Used - sum.Reserved
	return sum
}

// writeLeaseList prints the rows and the summary in format, ages taken at
// now.
func writeLeaseList(w io.Writer, format string, rows []coord.Holding, sum leaseSummary, now time.Time) error {
	if format != "table" {
		doc := leaseList{Holders: make([]holderView, 0, len(rows)), Summary: sum}
		for _, h := range rows {
			doc.Holders = append(doc.Holders, newHolderView(h, now))
		}
		return writeDocument(w, format, doc)
	}
	cells := [][]string{holderHeader}
	for _, h := range rows {
		cells = append(cells, holderCells(h, now))
	}
	if err := table(w, cells); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d used, %d free, %d reserved of WorkerIds %s\n", sum.Used, sum.Free, sum.Reserved, sum.Range)
	return err
}
