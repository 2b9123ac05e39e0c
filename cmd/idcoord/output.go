package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// output is the -o flag of a command: the format it writes and the formats
// it can write, the first being the default.
type output struct {
	format  string
	formats []string
}

// addOutputFlag adds -o/--output to cmd, accepting formats.
func addOutputFlag(cmd *cobra.Command, formats ...string) *output {
	o := &output{formats: formats}
	cmd.Flags().StringVarP(&o.format, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
	return o
}

// check fails unless the format is one the command writes.
func (o *output) check() error {
	if !slices.Contains(o.formats, o.format) {
		return fmt.Errorf("%w -o %q: want one of %s", errBadOutput, o.format, strings.Join(o.formats, ", "))
	}
	return nil
}

// checkedSettings checks out's format, then reads the settings: the start of
// a command that prints in a chosen format, so a bad -o is reported before a
// bad config value.
func checkedSettings(cfg *config, out *output) (*settings, error) {
	if err := out.check(); err != nil {
		return nil, err
	}
	return cfg.Settings()
}

// jsonLines writes each item as one JSON object on its own line.
func jsonLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, item := range items {
		if err := enc.Encode(item); err != nil {
			return err
		}
	}
	return nil
}

// table writes rows as columns aligned on spaces; the first row is the header.
func table(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		if _, err := fmt.Fprintln(tw, strings.Join(row, "\t")); err != nil {
			return err
		}
	}
	return tw.Flush()
}
