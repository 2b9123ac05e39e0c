package coord_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

func TestCheckHighWater(t *testing.T) {
	epoch := time.Date(2010, 11, 4, 1, 42, 54, 657_000_000, time.UTC)
	end := epoch.Add(69 * 365 * 24 * time.Hour)
	twitter := coord.HighWaterBounds{Epoch: epoch, End: end}
	for _, tc := range []struct {
		name   string
		ms     int64
		bounds coord.HighWaterBounds
		want   string // in the error; empty: accepted
	}{
		{"none yet", 0, twitter, ""},
		{"now", time.Now().UnixMilli(), twitter, ""},
		{"at the epoch", epoch.UnixMilli(), twitter, ""},
		{"at the end", end.UnixMilli(), twitter, ""},
		{"negative", -5, coord.HighWaterBounds{}, "is negative"},
		{"negative within a layout", -5, twitter, "is negative"},
		{"before the epoch", 5, twitter, "before the layout's epoch 2010-11-04T01:42:54.657Z"},
		{"before the epoch, layout unknown", 5, coord.HighWaterBounds{}, ""},
		{"past the lifetime", end.UnixMilli() + 1, twitter, "the end of the layout's lifetime"},
		{"past every lifetime", coord.LatestHighWater.UnixMilli() + 1, coord.HighWaterBounds{}, "the latest any layout reaches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := coord.CheckHighWater("hw/7", tc.ms, tc.bounds)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("W %d refused: %v", tc.ms, err)
				}
				return
			}
			if !errors.Is(err, coord.ErrBadRecord) {
				t.Fatalf("W %d = %v, want ErrBadRecord", tc.ms, err)
			}
			if !strings.Contains(err.Error(), "hw/7") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name the record and %q", err, tc.want)
			}
		})
	}
}
