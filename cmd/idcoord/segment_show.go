package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

func newSegmentShowCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show [-o table|json|yaml] TAG",
		Short: "Show one segment-mode tag",
		Long: `show prints one tag's record: max_id (every ID handed out is below it; the
next segment starts there), step, last update and description. An unknown
tag is an error, exit status 1.

-o json and -o yaml print {"tag", "max_id", "step", "description",
"update_time", "error"}.`,
		Example: "  idcoord segment show order\n  idcoord segment show order -o yaml",
		Args:    cobra.ExactArgs(1),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	check := func(args []string) error { return checkTagArg(args[0]) }
	onSegments(cmd, cfg, out, check, func(ctx context.Context, store coord.SegmentStore, _ *settings, args []string) error {
		rec, _, err := store.GetSegment(ctx, args[0])
		if err != nil {
			return notFound(err)
		}
		return writeSegment(cmd, out, newSegmentView(args[0], rec))
	})
	return cmd
}

// writeSegment prints one tag in out's format.
func writeSegment(cmd *cobra.Command, out *output, v segmentView) error {
	if out.format != "table" {
		return writeDocument(cmd.OutOrStdout(), out.format, v)
	}
	return writeSegmentRecord(cmd.OutOrStdout(), v)
}
