package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// defaultGCAge is the default of zk gc's --older-than.
const defaultGCAge = 7 * 24 * time.Hour

// gcRow is one forever znode that zk gc selected, as it prints it. Times
// are RFC 3339 UTC with milliseconds; Timestamp is empty when the znode's
// data cannot be read.
type gcRow struct {
	Path      string `json:"path"`
	Identity  string `json:"identity"`
	WorkerID  int64  `json:"worker_id"`
	Timestamp string `json:"timestamp"`
	Modified  string `json:"modified"`
	// Action is "would-delete" without --yes, else "deleted" or "kept".
	Action string `json:"action"`
	// Error says why a znode was kept.
	Error string `json:"error,omitempty"`
}

// The actions of a gcRow.
const (
	gcWouldDelete = "would-delete"
	gcDeleted     = "deleted"
	gcKept        = "kept"
)

// newZKCommand returns the parent of the ZooKeeper maintenance commands.
func newZKCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zk",
		Short: "Maintain the ZooKeeper store (zk.* settings)",
		// Runnable, so that cobra checks Args: "zk nope" is an unknown
		// command, not a help page.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newZKGCCommand(cfg))
	return cmd
}

func newZKGCCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gc [--older-than DUR] [--yes] [-o table|json]",
		Short: "Delete the forever znodes of identities gone for good",
		Long: `gc lists the znodes of /snowflake/<zk.leaf-name>/forever (the WorkerIds
bound to each ip:port, as Meituan Leaf and idcoord's sequential mode keep
them) that no process holds now and that nobody has written for longer
than --older-than: both the znode's last modification on the server and
the timestamp stored in it are older. It connects with the zk.* settings
(zk.servers, zk.auth-file, zk.leaf-name, cluster), whatever coord says.

A znode counts as held while /idcoord/<cluster>/workers/<WorkerId> exists,
so cluster must name the idcoord cluster that uses the tree.

Without --yes it only prints what it would delete. With --yes it deletes
each selected znode, unless its WorkerId has become live meanwhile.

Deleting does not free WorkerIds: ZooKeeper never reuses a sequence
number, and an identity whose znode was deleted gets a new WorkerId the
next time it starts. Leaf processes do not mark themselves live, so keep
--older-than well above Leaf's 3s report period; the default is a week.

-o table prints the selected znodes and then one summary line.
-o json prints one JSON object per znode on stdout,
  {"path","identity","worker_id","timestamp","modified","action","error"},
  and the summary line on stderr.
The exit code is 1 if a selected znode could not be deleted.`,
		Example: "  idcoord zk gc --zk.servers zk-0:2181 --zk.leaf-name orders\n" +
			"  idcoord zk gc --zk.servers zk-0:2181 --zk.leaf-name orders --older-than 720h --yes",
		Args: cobra.NoArgs,
	}
	var (
		olderThan time.Duration
		yes       bool
		timeout   time.Duration
	)
	cmd.Flags().DurationVar(&olderThan, "older-than", defaultGCAge, "select znodes not written for this long")
	cmd.Flags().BoolVar(&yes, "yes", false, "delete the selected znodes; without it nothing is deleted")
	cmd.Flags().DurationVar(&timeout, "timeout", operatorTimeout,
		"bound on the whole command; connecting gives up sooner, as it does for the lease commands")
	out := addOutputFlag(cmd, "table", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := out.check(); err != nil {
			return err
		}
		if olderThan <= 0 {
			return fmt.Errorf("zk gc: %w: --older-than %s: want more than 0", errBadFlag, olderThan)
		}
		if timeout <= 0 {
			return fmt.Errorf("zk gc: %w: --timeout %s: want more than 0", errBadFlag, timeout)
		}
		s, err := cfg.Settings()
		if err != nil {
			return err
		}
		log, err := newLogger(gcLogSettings(s.Log), cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		defer log.Sync() //nolint:errcheck // nothing to do about a failed flush
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		b, err := openZKAdmin(ctx, s, cmd.ErrOrStderr(), log)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil {
				err = fmt.Errorf("%w: no ZooKeeper session with %v within --timeout %s", coord.ErrUnreachable, s.ZK.Servers, timeout)
			}
			return fmt.Errorf("zk gc: %w", err)
		}
		defer b.Close()
		rows, kept, err := collectForever(ctx, b, time.Now().Add(-olderThan), yes)
		if err != nil {
			return fmt.Errorf("zk gc: %w", err)
		}
		summary := gcSummary(len(rows), kept, yes, olderThan, "/snowflake/"+s.ZK.LeafName+"/forever")
		if err := printGC(cmd.OutOrStdout(), cmd.ErrOrStderr(), out.format, rows, summary); err != nil {
			return err
		}
		if kept > 0 {
			return fmt.Errorf("zk gc: %d of %d selected forever znodes were not deleted; each row says why", kept, len(rows))
		}
		return nil
	}
	return cmd
}

// collectForever selects the stale forever znodes (zkcoord.StaleForever)
// and, with del, deletes them. It returns a row for each, and how many of
// them a delete left in place.
func collectForever(ctx context.Context, b *zkcoord.Backend, cutoff time.Time, del bool) ([]gcRow, int, error) {
	nodes, err := b.ListForever(ctx)
	if err != nil {
		return nil, 0, err
	}
	rows := gcRows(zkcoord.StaleForever(nodes, cutoff))
	if !del {
		return rows, 0, nil
	}
	kept := 0
	for i := range rows {
		if err := b.DeleteForever(ctx, rows[i].Path); err != nil {
			rows[i].Action, rows[i].Error = gcKept, oneLine(err.Error())
			kept++
			continue
		}
		rows[i].Action = gcDeleted
	}
	return rows, kept, nil
}

// gcLogSettings leaves the client's session messages out at log.level
// info, the default: an operator command reports through its output. Its
// warnings still go to stderr, and log.level debug shows everything.
func gcLogSettings(l logSettings) logSettings {
	if l.Level == "info" {
		l.Level = "warn"
	}
	return l
}

// openZKAdmin connects to ZooKeeper with the zk.* settings, whatever coord
// says, as the lease commands connect (dialStore): it says on stderr what it
// waits for when that takes a while, and fails with an error that wraps
// coord.ErrUnreachable when the backend gives up, or ctx's error: an
// operator command does not retry.
func openZKAdmin(ctx context.Context, s *settings, stderr io.Writer, log *zap.Logger) (*zkcoord.Backend, error) {
	zs := *s
	zs.Coord = coordZK
	b, err := dialStore(ctx, &zs, stderr, log)
	if err != nil {
		return nil, err
	}
	zb, ok := b.(*zkcoord.Backend)
	if !ok {
		b.Close()
		return nil, fmt.Errorf("%w: the ZooKeeper client is a %T", errNoInspector, b)
	}
	return zb, nil
}

// gcRows turns the selected znodes into rows that would be deleted.
func gcRows(nodes []zkcoord.ForeverNode) []gcRow {
	rows := make([]gcRow, 0, len(nodes))
	for _, n := range nodes {
		r := gcRow{Path: n.Path, Identity: n.Identity, WorkerID: n.WorkerID, Modified: formatTime(n.Modified), Action: gcWouldDelete}
		if !n.Timestamp.IsZero() {
			r.Timestamp = formatTime(n.Timestamp)
		}
		rows = append(rows, r)
	}
	return rows
}

// gcSummary is the line that ends zk gc's output.
func gcSummary(selected, kept int, yes bool, olderThan time.Duration, forever string) string {
	switch {
	case selected == 0:
		return fmt.Sprintf("no forever znode in %s is both without a live holder and older than %s", forever, olderThan)
	case !yes:
		return fmt.Sprintf("%d forever znodes in %s have no live holder and are older than %s; nothing was deleted: run again with --yes to delete them",
			selected, forever, olderThan)
	default:
		return fmt.Sprintf("deleted %d of %d forever znodes in %s", selected-kept, selected, forever)
	}
}

// printGC writes rows in format, with the summary line after a table or on
// errOut after JSON lines. The table has an ERROR column only when some
// delete failed.
func printGC(w, errOut io.Writer, format string, rows []gcRow, summary string) error {
	if format == "json" {
		if err := jsonLines(w, rows); err != nil {
			return err
		}
		_, err := fmt.Fprintln(errOut, summary)
		return err
	}
	if len(rows) > 0 {
		withErrors := slices.ContainsFunc(rows, func(r gcRow) bool { return r.Error != "" })
		header := []string{"WORKER_ID", "IDENTITY", "MODIFIED", "TIMESTAMP", "ACTION", "PATH"}
		if withErrors {
			header = append(header, "ERROR")
		}
		lines := [][]string{header}
		for _, r := range rows {
			line := []string{strconv.FormatInt(r.WorkerID, 10), r.Identity, r.Modified, orDash(r.Timestamp), r.Action, r.Path}
			if withErrors {
				line = append(line, orDash(r.Error))
			}
			lines = append(lines, line)
		}
		if err := table(w, lines); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}
