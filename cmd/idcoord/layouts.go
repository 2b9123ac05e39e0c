package main

import (
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/snowflake"
)

// layoutRow is one layout as layouts prints it.
type layoutRow struct {
	Name         string  `json:"name"`
	TimeBits     int     `json:"time_bits"`
	TimeUnit     string  `json:"time_unit"`
	WorkerBits   int     `json:"worker_bits"`
	SequenceBits int     `json:"sequence_bits"`
	Epoch        string  `json:"epoch"`
	End          string  `json:"end"`
	Capacity     float64 `json:"ids_per_second_per_worker"`
	MaxWorkerID  int64   `json:"max_worker_id"`
}

func newLayoutRow(name string, l snowflake.Layout) layoutRow {
	return layoutRow{
		Name:         name,
		TimeBits:     l.TimeBits,
		TimeUnit:     l.TimeUnit.String(),
		WorkerBits:   l.WorkerBits,
		SequenceBits: l.SequenceBits,
		Epoch:        formatTime(l.Epoch),
		End:          formatTime(l.End()),
		Capacity:     l.Capacity(),
		MaxWorkerID:  l.MaxWorkerID(),
	}
}

func newLayoutsCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "layouts [-o text|json]",
		Short: "List the ID layout presets: bits, epoch, lifetime and capacity",
		Long: `Layouts lists every preset: its time bits and tick, worker and sequence
bits, epoch, the end of its lifetime (when the time bits run out), its
capacity in IDs per second per worker, and the largest WorkerId.

When any layout.* key is set, a last row named "configured" shows the
layout those keys give, so the trade-off of other bits can be read off.

-o json prints one JSON object per line.`,
		Args: cobra.NoArgs,
	}
	out := addOutputFlag(cmd, "text", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := out.check(); err != nil {
			return err
		}
		var rows []layoutRow
		for _, name := range snowflake.PresetNames() {
			l, err := snowflake.Preset(name)
			if err != nil {
				return err
			}
			rows = append(rows, newLayoutRow(name, l))
		}
		configured, err := layoutConfigured(cfg)
		if err != nil {
			return err
		}
		if configured {
			s, err := cfg.Settings()
			if err != nil {
				return err
			}
			rows = append(rows, newLayoutRow("configured", s.Layout))
		}
		w := cmd.OutOrStdout()
		if out.format == "json" {
			return jsonLines(w, rows)
		}
		text := [][]string{{"NAME", "TIME BITS", "UNIT", "WORKER BITS", "SEQUENCE BITS", "EPOCH", "LIFETIME END", "IDS/S PER WORKER", "MAX WORKER ID"}}
		for _, r := range rows {
			text = append(text, []string{
				r.Name, strconv.Itoa(r.TimeBits), r.TimeUnit, strconv.Itoa(r.WorkerBits), strconv.Itoa(r.SequenceBits),
				r.Epoch, r.End, strconv.FormatFloat(math.Round(r.Capacity*1000)/1000, 'f', -1, 64), strconv.FormatInt(r.MaxWorkerID, 10),
			})
		}
		return table(w, text)
	}
	return cmd
}

// layoutConfigured reports whether any layout.* key is set by a flag, the
// environment or the file.
func layoutConfigured(cfg *config) (bool, error) {
	vals, err := cfg.resolve()
	if err != nil {
		return false, err
	}
	for _, r := range vals {
		if strings.HasPrefix(r.key.name, "layout.") && r.src != fromDefault {
			return true, nil
		}
	}
	return false, nil
}
