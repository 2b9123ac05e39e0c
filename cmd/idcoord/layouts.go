package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/snowflake"
)

// layoutRow is one layout as layouts prints it.
type layoutRow struct {
	Name     string `json:"name"`
	TimeBits int    `json:"time_bits"`
	TimeUnit string `json:"time_unit"`
	// DatacenterBits is the width of the datacenter field, 0 when the
	// layout has none.
	DatacenterBits int    `json:"datacenter_bits"`
	WorkerBits     int    `json:"worker_bits"`
	SequenceBits   int    `json:"sequence_bits"`
	Epoch          string `json:"epoch"`
	End            string `json:"end"`
	// Expired is true once the lifetime has ended: the layout decodes the
	// IDs it issued, but serve refuses it unless layout.epoch moves later.
	Expired     bool    `json:"expired"`
	Capacity    float64 `json:"ids_per_second_per_worker"`
	MaxWorkerID int64   `json:"max_worker_id"`
	// Datacenters is how many datacenters (regions with their own store)
	// the layout tells apart: 2^DatacenterBits, 1 without the field. Each
	// has WorkerIds up to MaxWorkerID.
	Datacenters int64 `json:"datacenters"`
}

// endedMark follows the lifetime end of an expired layout in the text
// table; endedNote, printed under the table, says what it means.
const (
	endedMark = " (ended)"
	endedNote = "(ended): the time bits ran out; such a layout still decodes its IDs, but serve refuses it unless layout.epoch is set to a later date"
)

// newLayoutRow describes l as it stands at now.
func newLayoutRow(name string, l snowflake.Layout, now time.Time) layoutRow {
	return layoutRow{
		Name:           name,
		TimeBits:       l.TimeBits,
		TimeUnit:       l.TimeUnit.String(),
		DatacenterBits: l.DatacenterBits,
		WorkerBits:     l.WorkerBits,
		SequenceBits:   l.SequenceBits,
		Epoch:          formatTime(l.Epoch),
		End:            formatTime(l.End()),
		Expired:        l.EndedAt(now),
		Capacity:       l.Capacity(),
		MaxWorkerID:    l.MaxWorkerID(),
		Datacenters:    l.Datacenters(),
	}
}

func newLayoutsCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "layouts [-o text|json]",
		Short: "List the ID layout presets: bits, epoch, lifetime, capacity and datacenters",
		Long: `Layouts lists every preset: its time bits and tick, worker and sequence
bits, epoch, the end of its lifetime (when the time bits run out), its
capacity in IDs per second per worker, the largest WorkerId, and how many
datacenters it tells apart (2^layout.datacenter-bits: 32 for twitter-dc,
each with its own WorkerIds; 1 for a layout without the field). A layout
whose lifetime has ended is marked "(ended)" (in JSON, "expired": true):
it still decodes the IDs it issued, but serve refuses it unless
layout.epoch is set to a later date.

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
		now := time.Now()
		var rows []layoutRow
		for _, name := range snowflake.PresetNames() {
			l, err := snowflake.Preset(name)
			if err != nil {
				return err
			}
			rows = append(rows, newLayoutRow(name, l, now))
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
			rows = append(rows, newLayoutRow("configured", s.Layout, now))
		}
		w := cmd.OutOrStdout()
		if out.format == "json" {
			return jsonLines(w, rows)
		}
		return writeLayoutsText(w, rows)
	}
	return cmd
}

// writeLayoutsText prints rows as a table, with the ended mark beside the
// lifetime end of an expired layout and, when there is one, the note that
// explains the mark.
func writeLayoutsText(w io.Writer, rows []layoutRow) error {
	text := [][]string{{"NAME", "TIME BITS", "UNIT", "WORKER BITS", "SEQUENCE BITS", "EPOCH", "LIFETIME END", "IDS/S PER WORKER", "MAX WORKER ID", "DATACENTERS"}}
	expired := false
	for _, r := range rows {
		end := r.End
		if r.Expired {
			end += endedMark
			expired = true
		}
		text = append(text, []string{
			r.Name, strconv.Itoa(r.TimeBits), r.TimeUnit, strconv.Itoa(r.WorkerBits), strconv.Itoa(r.SequenceBits),
			r.Epoch, end, strconv.FormatFloat(math.Round(r.Capacity*1000)/1000, 'f', -1, 64), strconv.FormatInt(r.MaxWorkerID, 10),
			strconv.FormatInt(r.Datacenters, 10),
		})
	}
	if err := table(w, text); err != nil {
		return err
	}
	if !expired {
		return nil
	}
	_, err := fmt.Fprintf(w, "\n%s\n", endedNote)
	return err
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
