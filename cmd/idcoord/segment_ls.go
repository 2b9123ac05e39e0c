package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/coord"
)

func newSegmentListCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls [-o table|json|yaml]",
		Aliases: []string{"list"},
		Short:   "List the segment-mode tags",
		Long: `ls prints one row per tag, in tag order: its max_id (every ID handed out
is below it; the next segment starts there), step, last update and
description. A record that cannot be read is listed with its error and
does not stop the listing.

-o json and -o yaml print {"segments": [{"tag", "max_id", "step",
"description", "update_time", "error"}, ...]}; a readable record has a null
error, an unreadable one null fields and its error.`,
		Example: "  idcoord segment ls\n  idcoord segment ls -o json",
		Args:    cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "table", "json", "yaml")
	onSegments(cmd, cfg, out, nil, func(ctx context.Context, store coord.SegmentStore, s *settings, _ []string) error {
		entries, err := store.ListSegments(ctx)
		if err != nil {
			return err
		}
		doc := segmentList{Segments: make([]segmentView, 0, len(entries))}
		for _, e := range entries {
			doc.Segments = append(doc.Segments, entryView(e))
		}
		w := cmd.OutOrStdout()
		if out.format != "table" {
			return writeDocument(w, out.format, doc)
		}
		if len(entries) == 0 {
			_, err := fmt.Fprintf(w, "no segment tags in cluster %q of %s\n", s.Cluster, storeName(s))
			return err
		}
		cells := [][]string{segmentHeader}
		for _, v := range doc.Segments {
			cells = append(cells, segmentCells(v))
		}
		return table(w, cells)
	})
	return cmd
}
