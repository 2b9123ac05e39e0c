package coord_test

import (
	"slices"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

func TestCandidates(t *testing.T) {
	tests := []struct {
		name   string
		claim  coord.Claim
		sticky int64
		first  []int64
	}{
		{"sticky first", coord.Claim{Node: "a", MaxWorkerID: 7, Reserved: []int64{0}}, 5, []int64{5}},
		{"ordinal next", coord.Claim{Node: "idcoord-2", MaxWorkerID: 7, Reserved: []int64{0}}, 5, []int64{5, 3}},
		{"ordinal only", coord.Claim{Node: "idcoord-0", MaxWorkerID: 7, Reserved: []int64{0}}, -1, []int64{1}},
		{"reserved sticky skipped", coord.Claim{Node: "web-3", MaxWorkerID: 7, Reserved: []int64{0, 5}}, 5, []int64{4}},
		{"ordinal out of range skipped", coord.Claim{Node: "web-9", MaxWorkerID: 7}, -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Collect(coord.Candidates(tt.claim, tt.sticky))
			if !slices.Equal(got[:len(tt.first)], tt.first) {
				t.Fatalf("first candidates %v, want prefix %v", got, tt.first)
			}
			// Every usable WorkerID exactly once, none reserved, none out of range.
			want := 0
			for w := int64(1); w <= tt.claim.MaxWorkerID; w++ {
				if !slices.Contains(tt.claim.Reserved, w) {
					want++
				}
			}
			seen := map[int64]bool{}
			for _, w := range got {
				if seen[w] || w < 1 || w > tt.claim.MaxWorkerID || slices.Contains(tt.claim.Reserved, w) {
					t.Fatalf("bad candidate list %v", got)
				}
				seen[w] = true
			}
			if len(got) != want {
				t.Fatalf("got %d candidates, want %d: %v", len(got), want, got)
			}
		})
	}
}
