package coord_test

import (
	"errors"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

func TestNoFreeWorkerError(t *testing.T) {
	tests := []struct {
		name string
		c    coord.Claim
		held int
		want string
	}{
		{
			name: "only 0 reserved",
			c:    coord.Claim{MaxWorkerID: 1, Reserved: []int64{0}},
			held: 1,
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..1 (0 is never handed out), 1 held`,
		},
		{
			name: "nothing reserved",
			c:    coord.Claim{MaxWorkerID: 1023},
			held: 1023,
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..1023 (0 is never handed out), 1023 held`,
		},
		{
			name: "reserved in range, repeated and out of range",
			c:    coord.Claim{MaxWorkerID: 1023, Reserved: []int64{0, 9, 5, 5, 2000}},
			held: 1021,
			want: `coord: no free WorkerId in cluster "prod": WorkerIds 1..1023 (0 is never handed out; 2 more reserved: [5 9]), 1021 held`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := coord.NoFreeWorkerError("prod", tt.c, tt.held)
			if !errors.Is(err, coord.ErrNoFreeWorker) {
				t.Fatalf("NoFreeWorkerError = %v, does not wrap ErrNoFreeWorker", err)
			}
			if err.Error() != tt.want {
				t.Fatalf("NoFreeWorkerError =\n  %s\nwant\n  %s", err, tt.want)
			}
		})
	}
}
