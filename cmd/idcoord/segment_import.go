package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment/leafalloc"
)

// segmentImport is the JSON and YAML document of segment import.
type segmentImport struct {
	// Applied is false for a dry run (no --yes): nothing was written.
	Applied bool           `json:"applied" yaml:"applied"`
	Margin  int64          `json:"margin" yaml:"margin"`
	Actions []importAction `json:"actions" yaml:"actions"`
}

// importAction is one tag of an import: what it would do or did.
type importAction struct {
	// Action is create, raise, keep or unreadable.
	Action string `json:"action" yaml:"action"`
	Tag    string `json:"tag" yaml:"tag"`
	// LeafMaxID is Leaf's max_id as read.
	LeafMaxID int64 `json:"leaf_max_id" yaml:"leaf_max_id"`
	// MaxIDBefore is the stored max_id before; null when the tag was
	// missing or unreadable.
	MaxIDBefore *int64 `json:"max_id_before" yaml:"max_id_before"`
	// MaxIDAfter is the stored max_id after; null when unreadable.
	MaxIDAfter *int64 `json:"max_id_after" yaml:"max_id_after"`
	Step       *int64 `json:"step" yaml:"step"`
	// Error says why the stored record cannot be read.
	Error *string `json:"error" yaml:"error"`
}

func newSegmentImportCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import (--leaf-dsn DSN | --leaf-tsv FILE) [--margin M] [--yes] [-o table|json|yaml]",
		Short: "Import Meituan Leaf's leaf_alloc table, never lowering a max_id",
		Long: `import reads Leaf's leaf_alloc table (biz_tag, max_id, step, description)
and makes every tag's max_id at least Leaf's plus --margin: it creates a
missing tag with Leaf's step and description, raises a lower max_id, and
leaves a higher one alone. It never lowers a max_id, so running it again
(the second run keeps every tag), or after idcoord has handed out more, is
safe.

The table is read from one of:
  --leaf-dsn DSN   the MySQL/MariaDB server, user:password@tcp(host:port)/leaf
  --leaf-tsv FILE  the output of
                   mysql --batch -e 'SELECT biz_tag,max_id,step,description FROM leaf_alloc'
                   ("-" reads standard input)

Every row is checked before anything is written: a tag idcoord does not
accept (1 to ` + strconv.Itoa(coord.MaxTagBytes) + ` letters, digits and . _ : -), a step outside
1..` + strconv.Itoa(coord.MaxSegmentStep) + ` or a max_id past the largest int64 refuses the whole
import.

--margin M adds M to every max_id, for an import while Leaf still runs:
Leaf's servers go on fetching segments after the table was read, each fetch
raising Leaf's max_id by its step (up to 1,000,000, or the table's step if
larger). M must be at least all they fetch until they stop; see the README,
"Moving Leaf's segment mode over".

Without --yes it only prints what it would do, and exits 0. A tag whose
record in the store cannot be read is listed as unreadable and fails the
command (exit status 1), with or without --yes, before anything is written.

-o json and -o yaml print {"applied", "margin", "actions": [{"action",
"tag", "leaf_max_id", "max_id_before", "max_id_after", "step", "error"},
...]}.`,
		Example: "  idcoord segment import --leaf-dsn 'leaf:secret@tcp(10.0.0.5:3306)/leaf'\n" +
			"  mysql --batch -e 'SELECT biz_tag,max_id,step,description FROM leaf_alloc' leaf > leaf_alloc.tsv\n" +
			"  idcoord segment import --leaf-tsv leaf_alloc.tsv --yes",
		Args: cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	var dsn, tsv string
	var margin int64
	var yes bool
	cmd.Flags().StringVar(&dsn, "leaf-dsn", "", "Leaf's database, user:password@tcp(host:port)/database")
	cmd.Flags().StringVar(&tsv, "leaf-tsv", "", `a file of mysql --batch output of leaf_alloc ("-": standard input)`)
	cmd.Flags().Int64Var(&margin, "margin", 0, "add this to every max_id, for an import while Leaf still runs")
	cmd.Flags().BoolVar(&yes, "yes", false, "write; without it, only print what would be done")
	var rows []leafalloc.Row
	check := func([]string) error {
		if (dsn == "") == (tsv == "") {
			return fmt.Errorf("%w: give exactly one of --leaf-dsn DSN and --leaf-tsv FILE", errBadFlag)
		}
		if margin < 0 {
			return fmt.Errorf("%w: --margin %d: %w", errBadFlag, margin, leafalloc.ErrBadMargin)
		}
		var err error
		if rows, err = readLeaf(cmd, dsn, tsv); err != nil {
			return err
		}
		return leafalloc.CheckRows(rows, margin)
	}
	onSegments(cmd, cfg, out, check, func(ctx context.Context, store coord.SegmentStore, s *settings, _ []string) error {
		entries, err := store.ListSegments(ctx)
		if err != nil {
			return err
		}
		plan, err := leafalloc.Plan(rows, entries, margin)
		if err != nil {
			return err
		}
		done := plan
		if yes {
			if err := refuseUnreadable(plan); err != nil {
				return err
			}
			done, err = leafalloc.Apply(ctx, store, rows, margin, time.Now())
			if err != nil {
				_ = writeImport(cmd.OutOrStdout(), out.format, done, margin, true)
				return fmt.Errorf("%w (the tags listed were imported; running the import again is safe)", err)
			}
		}
		if err := writeImport(cmd.OutOrStdout(), out.format, done, margin, yes); err != nil {
			return err
		}
		if !yes {
			return refuseUnreadable(plan)
		}
		return nil
	})
	return cmd
}

// readLeaf reads the rows of leaf_alloc from dsn or from the file tsv.
func readLeaf(cmd *cobra.Command, dsn, tsv string) ([]leafalloc.Row, error) {
	if dsn != "" {
		ctx, cancel := context.WithTimeout(cmd.Context(), operatorTimeout)
		defer cancel()
		return leafalloc.ReadDB(ctx, dsn)
	}
	var r io.Reader = cmd.InOrStdin()
	if tsv != "-" {
		f, err := os.Open(tsv)
		if err != nil {
			return nil, fmt.Errorf("--leaf-tsv: %w", err)
		}
		defer f.Close()
		r = f
	}
	rows, err := leafalloc.ReadTSV(r)
	if err != nil {
		return nil, fmt.Errorf("--leaf-tsv %s: %w", tsv, err)
	}
	return rows, nil
}

// refuseUnreadable fails when the plan touches a tag whose record cannot
// be read: the import would stop there.
func refuseUnreadable(plan []leafalloc.Action) error {
	var bad []string
	for _, a := range plan {
		if a.Kind == leafalloc.Unreadable {
			bad = append(bad, fmt.Sprintf("%s (%v)", a.Tag, a.Err))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %v; fix or delete them in the store first; nothing was written", errUnreadableSegments, bad)
	}
	return nil
}

// writeImport prints the actions in format: what would be done (applied
// false) or what was done.
func writeImport(w io.Writer, format string, actions []leafalloc.Action, margin int64, applied bool) error {
	if format != "table" {
		doc := segmentImport{Applied: applied, Margin: margin, Actions: make([]importAction, 0, len(actions))}
		for _, a := range actions {
			doc.Actions = append(doc.Actions, newImportAction(a))
		}
		return writeDocument(w, format, doc)
	}
	if len(actions) == 0 {
		_, err := fmt.Fprintln(w, "leaf_alloc has no rows: nothing to import")
		return err
	}
	cells := [][]string{{"ACTION", "TAG", "LEAF MAX_ID", "MAX_ID BEFORE", "MAX_ID AFTER", "STEP"}}
	counts := map[leafalloc.Kind]int{}
	for _, a := range actions {
		counts[a.Kind]++
		v := newImportAction(a)
		cells = append(cells, []string{v.Action, a.Tag, strconv.FormatInt(a.Leaf, 10), int64Cell(v.MaxIDBefore), int64Cell(v.MaxIDAfter), int64Cell(v.Step)})
	}
	if err := table(w, cells); err != nil {
		return err
	}
	sum := fmt.Sprintf("%d to create, %d to raise, %d to keep", counts[leafalloc.Create], counts[leafalloc.Raise], counts[leafalloc.Keep])
	if applied {
		sum = fmt.Sprintf("%d created, %d raised, %d kept", counts[leafalloc.Create], counts[leafalloc.Raise], counts[leafalloc.Keep])
	}
	if n := counts[leafalloc.Unreadable]; n > 0 {
		sum += fmt.Sprintf(", %d unreadable", n)
	}
	_, err := fmt.Fprintf(w, "\n%s of %d tags (margin %d)\n", sum, len(actions), margin)
	if err == nil && !applied {
		_, err = fmt.Fprintln(w, "dry run: nothing was written; run again with --yes to import")
	}
	return err
}

// newImportAction shapes a for JSON and YAML.
func newImportAction(a leafalloc.Action) importAction {
	v := importAction{Action: string(a.Kind), Tag: a.Tag, LeafMaxID: a.Leaf}
	switch a.Kind {
	case leafalloc.Unreadable:
		v.Error = ptr(a.Err.Error())
	case leafalloc.Create:
		v.MaxIDAfter, v.Step = ptr(a.To), ptr(a.Step)
	default:
		v.MaxIDBefore, v.MaxIDAfter, v.Step = ptr(a.From), ptr(a.To), ptr(a.Step)
	}
	return v
}

// int64Cell is a table cell for a number that may be absent.
func int64Cell(n *int64) string {
	if n == nil {
		return "-"
	}
	return strconv.FormatInt(*n, 10)
}
