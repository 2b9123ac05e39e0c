package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/idcoord/idcoord/snowflake"
)

// decoded is one ID taken apart, as decode prints it. The ID is a string in
// JSON because JavaScript loses precision above 2^53. DatacenterID is set
// whenever the layout has a datacenter field, datacenter 0 included, and
// nil (left out) when it has none.
type decoded struct {
	ID           string `json:"id"`
	Time         string `json:"time"`
	DatacenterID *int64 `json:"datacenter_id,omitempty"`
	WorkerID     int64  `json:"worker_id"`
	Sequence     int64  `json:"sequence"`
}

// negativeFlag matches pflag's complaint about an argument such as -5, which
// it takes for a flag.
var negativeFlag = regexp.MustCompile(`unknown shorthand flag: .* in (-[0-9]+)$`)

func newDecodeCommand(cfg *config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decode [-o text|json] ID...",
		Short: "Take IDs apart into time, datacenter, WorkerId and sequence",
		Long: `Decode takes each ID apart in the configured layout (--layout.preset,
--layout.epoch, ...) and prints its time (RFC 3339, UTC, milliseconds),
WorkerId and sequence number, and its datacenter when the layout has a
datacenter field (layout.datacenter-bits above 0, as in twitter-dc).

-o text prints one line per ID: id=... time=... worker_id=... sequence=...
  (with datacenter_id=... before worker_id in a layout with the field)
-o json prints one JSON object per line:
  {"id":"<decimal>","time":"...","worker_id":N,"sequence":N}
  (with "datacenter_id":N in a layout with the field)

Nothing is printed unless every ID decodes.`,
		Example: "  idcoord decode 2124029378810630151\n  idcoord decode --layout.preset sonyflake -o json 647119771577429001\n" +
			"  idcoord decode --layout.preset twitter-dc 2124029378810630151",
	}
	out := addOutputFlag(cmd, "text", "json")
	// "decode -5" reaches pflag as a flag; say what is wrong with the ID
	// instead. decodeID rejects a negative number before it reads a layout.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		if m := negativeFlag.FindStringSubmatch(err.Error()); m != nil {
			_, err = decodeID(snowflake.Twitter(), m[1])
		}
		return err
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := out.check(); err != nil {
			return err
		}
		if len(args) == 0 {
			return fmt.Errorf("decode: %w: give at least one ID", errBadID)
		}
		s, err := cfg.Settings()
		if err != nil {
			return err
		}
		ids := make([]decoded, 0, len(args))
		for _, arg := range args {
			d, err := decodeID(s.Layout, arg)
			if err != nil {
				return err
			}
			ids = append(ids, d)
		}
		w := cmd.OutOrStdout()
		if out.format == "json" {
			return jsonLines(w, ids)
		}
		for _, d := range ids {
			dc := ""
			if d.DatacenterID != nil {
				dc = fmt.Sprintf("datacenter_id=%d ", *d.DatacenterID)
			}
			if _, err := fmt.Fprintf(w, "id=%s time=%s %sworker_id=%d sequence=%d\n", d.ID, d.Time, dc, d.WorkerID, d.Sequence); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

// decodeID parses arg as a decimal ID and takes it apart in layout l.
func decodeID(l snowflake.Layout, arg string) (decoded, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && arg[0] == '-', err == nil && id < 0:
		return decoded{}, fmt.Errorf("decode %q: %w: negative; IDs are 0..%d", arg, errBadID, int64(math.MaxInt64))
	case errors.Is(err, strconv.ErrRange):
		return decoded{}, fmt.Errorf("decode %q: %w: above the largest ID, %d", arg, errBadID, int64(math.MaxInt64))
	case err != nil:
		return decoded{}, fmt.Errorf("decode %q: %w: not a decimal number", arg, errBadID)
	}
	p, err := l.Decompose(id)
	if err != nil {
		return decoded{}, fmt.Errorf("decode %q: %w", arg, err)
	}
	d := decoded{
		ID:       strconv.FormatInt(id, 10),
		Time:     formatTime(p.Time),
		WorkerID: p.WorkerID,
		Sequence: p.Sequence,
	}
	if l.HasDatacenter() {
		d.DatacenterID = &p.DatacenterID
	}
	return d, nil
}
