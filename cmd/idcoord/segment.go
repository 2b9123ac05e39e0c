package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

// Errors of the segment commands. They belong with the errors in
// errors.go; they are declared here, beside the commands that return them.
var (
	// errNoSegmentStore: the configured store does not keep segment
	// records.
	errNoSegmentStore = errors.New("store keeps no segment records")
	// errBadArg: a positional argument does not parse.
	errBadArg = errors.New("bad argument")
	// errUnreadableSegments: an import would touch a tag whose record
	// cannot be read.
	errUnreadableSegments = errors.New("unreadable segment records")
)

// newSegmentCommand is the parent of the commands that create, list and
// import the segment-mode tags.
func newSegmentCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "segment",
		Short: "Create, list and import segment-mode tags (Leaf's leaf_alloc)",
		Long: `Segment mode hands out short, dense IDs per tag, as Meituan Leaf's segment
mode does from its leaf_alloc table. Each tag is one record segments/<tag> in
the store: max_id (every ID handed out is below it), step (the smallest
segment a node takes), description and update_time. Tags are made by an
operator, with create or import; nodes never create one.

The segment commands reach the store as the lease commands do: etcd.endpoints
for etcd and embedded, zk.servers for ZooKeeper, with cluster naming the
namespace.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newSegmentCreateCommand(cfg),
		newSegmentListCommand(cfg),
		newSegmentShowCommand(cfg),
		newSegmentSetStepCommand(cfg),
		newSegmentImportCommand(cfg),
	)
	return cmd
}

// onSegments sets cmd's RunE for a segment command: it checks the output
// flag, reads the settings, runs check (the arguments, before any
// connection), then fn with the store as a coord.SegmentStore. Errors
// carry the command's name.
func onSegments(cmd *cobra.Command, cfg *config, out *output, check func(args []string) error,
	fn func(ctx context.Context, store coord.SegmentStore, s *settings, args []string) error) {
	name := "segment " + cmd.Name()
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := checkedSettings(cfg, out)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(args); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return inspect(cmd, s, func(ctx context.Context, ins *inspection) error {
			store, ok := ins.Backend.(coord.SegmentStore)
			if !ok {
				return fmt.Errorf("%s: %w: the %s backend (%T) has no segment mode", name, errNoSegmentStore, s.Coord, ins.Backend)
			}
			if err := fn(ctx, store, s, args); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
}

// checkTagArg checks the tag argument.
func checkTagArg(tag string) error {
	if err := coord.CheckTag(tag); err != nil {
		return fmt.Errorf("tag %q: %w", tag, err)
	}
	return nil
}

// checkStep checks a step given as what (a flag or an argument). The
// limits are coord's.
func checkStep(what string, step int64) error {
	if step < 1 || step > coord.MaxSegmentStep {
		return fmt.Errorf("%w: %s %d: want 1 to %d", errBadFlag, what, step, int64(coord.MaxSegmentStep))
	}
	return nil
}

// parseStepArg reads the step argument of set-step.
func parseStepArg(arg string) (int64, error) {
	step, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || step < 1 || step > coord.MaxSegmentStep {
		return 0, fmt.Errorf("%w: step %q: want a number from 1 to %d", errBadArg, arg, int64(coord.MaxSegmentStep))
	}
	return step, nil
}

// notFound adds to an error wrapping coord.ErrNoSegment how a tag is made.
func notFound(err error) error {
	if errors.Is(err, coord.ErrNoSegment) {
		return fmt.Errorf("%w (create it with idcoord segment create, or import it from Leaf with idcoord segment import)", err)
	}
	return err
}
