package coord_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

// ids returns a set of the WorkerIDs from lo to hi, and of extra.
func ids(lo, hi int64, extra ...int64) map[int64]bool {
	m := make(map[int64]bool)
	for wid := lo; wid <= hi; wid++ {
		m[wid] = true
	}
	for _, wid := range extra {
		m[wid] = true
	}
	return m
}

func TestNoFreeWorkerError(t *testing.T) {
	badHW := fmt.Errorf("%w: hw/7: invalid character", coord.ErrBadRecord)
	tests := []struct {
		name    string
		c       coord.Claim
		held    map[int64]bool
		skipped []coord.Skipped
		want    string
	}{
		{
			name: "only 0 reserved",
			c:    coord.Claim{MaxWorkerID: 1, Reserved: []int64{0}},
			held: ids(1, 1),
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..1 (0 is never handed out), 1 held`,
		},
		{
			name: "nothing reserved",
			c:    coord.Claim{MaxWorkerID: 1023},
			held: ids(1, 1023),
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..1023 (0 is never handed out), 1023 held`,
		},
		{
			name: "reserved in range, repeated and out of range",
			c:    coord.Claim{MaxWorkerID: 1023, Reserved: []int64{0, 9, 5, 5, 2000}},
			held: ids(1, 1023, 0, 2000),
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..1023 (0 is never handed out; 2 more reserved: [5 9]), 1021 held`,
		},
		{
			name: "keys outside the range are not held",
			c:    coord.Claim{MaxWorkerID: 31},
			held: ids(1, 31, 0, 32, 500, 1023, -4),
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..31 (0 is never handed out), 31 held`,
		},
		{
			name:    "skipped over a bad record",
			c:       coord.Claim{MaxWorkerID: 7},
			held:    ids(1, 6),
			skipped: []coord.Skipped{{WorkerID: 7, Err: badHW}, {WorkerID: 3, Err: badHW}},
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..7 (0 is never handed out), 5 held, ` +
				`2 skipped over a bad record (coord: bad record in store: hw/7: invalid character)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := coord.NoFreeWorkerError("prod", tt.c, tt.held, tt.skipped)
			if !errors.Is(err, coord.ErrNoFreeWorker) {
				t.Fatalf("NoFreeWorkerError = %v, does not wrap ErrNoFreeWorker", err)
			}
			if got := errors.Is(err, coord.ErrBadRecord); got != (len(tt.skipped) > 0) {
				t.Errorf("NoFreeWorkerError wraps ErrBadRecord: %v, want %v", got, len(tt.skipped) > 0)
			}
			if err.Error() != tt.want {
				t.Fatalf("NoFreeWorkerError =\n  %s\nwant\n  %s", err, tt.want)
			}
		})
	}
}
