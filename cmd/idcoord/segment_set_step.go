package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

func newSegmentSetStepCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set-step [-o table|json|yaml] TAG STEP",
		Short: "Set a tag's step, the smallest segment a node takes",
		Long: `set-step sets TAG's step: the smallest segment a node takes, and the floor
of its dynamic step. max_id stays as it is. Nodes use the new step from
their next fetch. An unknown tag is an error, exit status 1.

It prints the tag's record as segment show does.`,
		Example: "  idcoord segment set-step order 5000",
		Args:    cobra.ExactArgs(2),
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	var step int64
	check := func(args []string) (err error) {
		if err := checkTagArg(args[0]); err != nil {
			return err
		}
		step, err = parseStepArg(args[1])
		return err
	}
	onSegments(cmd, cfg, out, check, func(ctx context.Context, store coord.SegmentStore, _ *settings, args []string) error {
		rec, err := coord.SetSegmentStep(ctx, store, args[0], step, time.Now())
		if err != nil {
			return notFound(err)
		}
		return writeSegment(cmd, out, newSegmentView(args[0], rec))
	})
	return cmd
}
