package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

func newSegmentCreateCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create [-o table|json|yaml] TAG [--start N] [--step S] [--description TEXT]",
		Short: "Create a segment-mode tag",
		Long: `create makes the tag TAG: the first ID handed out for it is --start, and
nodes take segments of at least --step IDs. A tag is 1 to ` + strconv.Itoa(coord.MaxTagBytes) + `
letters, digits and . _ : -. A tag that exists is an error: use set-step to change
its step, and import to move a Leaf tag over.

-o json and -o yaml print {"tag", "max_id", "step", "description",
"update_time", "error"}, as segment show does.`,
		Example: "  idcoord segment create order --step 2000 --description 'order numbers'\n" +
			"  idcoord segment create invoice --start 100000",
		Args: cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	var start, step int64
	var description string
	cmd.Flags().Int64Var(&start, "start", 1, "the first ID handed out")
	cmd.Flags().Int64Var(&step, "step", coord.DefaultSegmentStep, "the smallest segment a node takes")
	cmd.Flags().StringVar(&description, "description", "", "what the tag numbers")
	check := func(args []string) error {
		switch {
		case start < 0:
			return fmt.Errorf("%w: --start %d: the first ID must not be negative", errBadFlag, start)
		case len(description) > coord.MaxDescriptionBytes:
			return fmt.Errorf("%w: --description is %d bytes; the limit is %d", errBadFlag, len(description), coord.MaxDescriptionBytes)
		}
		if err := checkStep("--step", step); err != nil {
			return err
		}
		return checkTagArg(args[0])
	}
	onSegments(cmd, cfg, out, check, func(ctx context.Context, store coord.SegmentStore, s *settings, args []string) error {
		rec, err := coord.CreateSegment(ctx, store, args[0], start, step, description, time.Now())
		if err != nil {
			return err
		}
		if out.format != "table" {
			return writeDocument(cmd.OutOrStdout(), out.format, newSegmentView(args[0], rec))
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "created tag %s in cluster %q: the first ID is %d, step %d\n", args[0], s.Cluster, rec.MaxID, rec.Step)
		return err
	})
	return cmd
}
