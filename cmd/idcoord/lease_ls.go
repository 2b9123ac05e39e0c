package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// leaseList is the JSON and YAML document of lease ls.
type leaseList struct {
	Holders []holderView `json:"holders" yaml:"holders"`
	Summary leaseSummary `json:"summary" yaml:"summary"`
	// Layout is the cluster's stored layout; null when none is stored or
	// it cannot be read.
	Layout *layoutView `json:"layout" yaml:"layout"`
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
	// Stuck and Bad count the WorkerIds no node can take until an
	// operator acts: a stuck holder record (counted in Used too), a W
	// record that cannot be read.
	Stuck int64 `json:"stuck" yaml:"stuck"`
	Bad   int64 `json:"bad" yaml:"bad"`
}

func newLeaseListCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls [-o table|json|yaml]",
		Aliases: []string{"list"},
		Short:   "List the WorkerIds held now or before, with their holders",
		Long: `ls prints one row per WorkerId held now or held before (it has a stored W,
or a node's last clock report names it): the WorkerId, the node, its admin
address, whether it is held now (LIVE), when it claimed the WorkerId, the
time left on its lease (etcd) or whether a session holds it (ZooKeeper),
the stored W and how far it is ahead of this machine's clock, and the age
of the node's last clock report. A summary follows: WorkerIds used, free
and reserved out of the layout's 1..max (WorkerId 0 is never handed out).
Then one line per WorkerId no node can take until an operator acts: STUCK
in the LEASE column is a holder record that never expires (etcd: under no
lease; ZooKeeper: not ephemeral), which lease revoke WORKERID --yes clears;
BAD RECORD in the W column is a W record that cannot be read. Nodes skip
both and take another WorkerId; idcoord never deletes either by itself.
A line above the table gives the cluster's layout, as its first node
stored it, with its datacenter when the layout has a datacenter field
(a cluster is one datacenter; other regions' clusters hand out the same
WorkerIds under other datacenter IDs). A warning on stderr says so when
that datacenter is not the one datacenter.id names.

A cluster with no records at all (no WorkerId held now or before) is an
error, exit status 1: most often cluster, coord or the store's address is
not the one meant. On ZooKeeper, W is read where the cluster's mode keeps
it; when that is not the mode zk.mode names, a warning says so.

-o json and -o yaml print one document:
  {"holders": [{"worker_id", "node", "admin", "live", "held_since",
    "lease_left_seconds", "session", "high_water", "high_water_ahead_seconds",
    "last_report": {"time", "timestamp", "worker_id", "admin"},
    "last_report_age_seconds", "stuck", "bad_record"}, ...],
   "summary": {"used", "free", "reserved", "range": "1..1023", "stuck", "bad"},
   "layout": {"time_bits", "time_unit", "worker_bits", "sequence_bits",
    "epoch", "datacenter_bits", "datacenter_id"}}
Fields that do not apply are null.`,
		Example: "  idcoord lease ls --coord etcd --etcd.endpoints 10.0.0.1:2379 --cluster prod\n  idcoord lease ls -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	onStore(cmd, cfg, out, func(ctx context.Context, ins *inspection, s *settings, _ []string) error {
		rows, err := readHoldings(ctx, ins, s, cmd.ErrOrStderr())
		if err != nil {
			return fmt.Errorf("lease ls: %w", err)
		}
		if len(rows) == 0 {
			return fmt.Errorf("lease ls: %w", noRecords(s))
		}
		lay, err := readLayout(ctx, ins, cmd.ErrOrStderr())
		if err != nil {
			return fmt.Errorf("lease ls: %w", err)
		}
		if w := lay.datacenterWarning(s, s.Cluster); w != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), w)
		}
		return writeLeaseList(cmd.OutOrStdout(), out.format, lay, rows, summarize(s, rows), time.Now())
	})
	return cmd
}

// readHoldings lists the holdings with ins. On ZooKeeper, whose two modes
// keep W in different places, it reads W where the cluster keeps it and
// warns in one line on stderr when that is not where zk.mode says.
func readHoldings(ctx context.Context, ins *inspection, s *settings, stderr io.Writer) ([]coord.Holding, error) {
	zb, ok := ins.Backend.(*zkcoord.Backend)
	if !ok {
		return ins.Holdings(ctx)
	}
	rows, read, err := zb.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	if read != "" && string(read) != s.ZK.Mode {
		fmt.Fprintf(stderr, "warning: zk.mode is %s, but cluster %q in %s holds %s-mode records; showing those (set zk.mode to %s)\n",
			s.ZK.Mode, s.Cluster, storeName(s), read, read)
	}
	return rows, nil
}

// noRecords is the error for a cluster with nothing in the store: no
// WorkerId held now or before, no W, no clock report. Most often the
// cluster or the store is not the one meant.
func noRecords(s *settings) error {
	return fmt.Errorf("cluster %q has %w in %s: no WorkerId is or was held there (check cluster, coord and the store's address)",
		s.Cluster, errNoRecords, storeName(s))
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
		if h.Stuck {
			sum.Stuck++
		}
		if h.Bad != "" {
			sum.Bad++
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

// writeLeaseList prints the cluster's layout, the rows and the summary in
// format, ages taken at now.
func writeLeaseList(w io.Writer, format string, lay clusterLayout, rows []coord.Holding, sum leaseSummary, now time.Time) error {
	if format != "table" {
		doc := leaseList{Holders: make([]holderView, 0, len(rows)), Summary: sum, Layout: lay.view()}
		for _, h := range rows {
			doc.Holders = append(doc.Holders, newHolderView(h, now))
		}
		return writeDocument(w, format, doc)
	}
	cells := [][]string{holderHeader}
	for _, h := range rows {
		cells = append(cells, holderCells(h, now))
	}
	if _, err := fmt.Fprintln(w, lay.line()); err != nil {
		return err
	}
	if err := table(w, cells); err != nil {
		return err
	}
	dc := ""
	if lay.stored && lay.record.DatacenterBits > 0 {
		dc = fmt.Sprintf(" in datacenter %d", lay.record.DatacenterID)
	}
	if _, err := fmt.Fprintf(w, "\n%d used, %d free, %d reserved of WorkerIds %s%s\n", sum.Used, sum.Free, sum.Reserved, sum.Range, dc); err != nil {
		return err
	}
	return writeNeedsOperator(w, rows)
}

// writeNeedsOperator prints one line per WorkerId that no node can take
// until an operator acts, and what to do. Nothing is cleared on its own:
// a record idcoord did not write is for an operator to judge.
func writeNeedsOperator(w io.Writer, rows []coord.Holding) error {
	for _, h := range rows {
		var err error
		switch {
		case h.Stuck:
			_, err = fmt.Fprintf(w, "STUCK WorkerId %d: its holder record never expires (no lease or session ends it); "+
				"check who wrote it, then clear it with: idcoord lease revoke %d --yes\n", h.WorkerID, h.WorkerID)
		case h.Bad != "":
			_, err = fmt.Fprintf(w, "BAD RECORD WorkerId %d: %s; nodes skip this WorkerId until the record is repaired "+
				"(see \"The store at scale\" in the README)\n", h.WorkerID, h.Bad)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
