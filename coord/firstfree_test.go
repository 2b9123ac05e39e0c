package coord_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

// store is the state FirstFree searches: which WorkerIDs are held, and what
// it was asked.
type store struct {
	held     map[int64]bool
	bad      map[int64]bool // their W cannot be read
	heldErr  error          // returned by the listing
	tryErr   error          // returned by every claim
	listings int
	offered  []int64
}

func (s *store) list(context.Context) (map[int64]bool, error) {
	s.listings++
	if s.heldErr != nil {
		return nil, s.heldErr
	}
	return s.held, nil
}

func (s *store) try(_ context.Context, wid int64) (int64, bool, error) {
	s.offered = append(s.offered, wid)
	if s.tryErr != nil {
		return 0, false, s.tryErr
	}
	if s.bad[wid] {
		return 0, false, fmt.Errorf("%w: hw/%d", coord.ErrBadRecord, wid)
	}
	if s.held[wid] {
		return 0, false, nil
	}
	return wid, true, nil
}

func TestFirstFree(t *testing.T) {
	wide := coord.Claim{Node: "web", MaxWorkerID: 7, Reserved: []int64{0}}
	order := slices.Collect(coord.Candidates(wide, -1))
	allBut := func(free ...int64) map[int64]bool {
		held := make(map[int64]bool)
		for _, wid := range order {
			if !slices.Contains(free, wid) {
				held[wid] = true
			}
		}
		return held
	}
	errStore := errors.New("store fault")
	last := order[len(order)-1]
	afterFive := slices.Collect(coord.Candidates(wide, 5))[1]

	tests := []struct {
		name         string
		claim        coord.Claim
		sticky       int64
		store        *store
		want         int64
		wantErr      error
		wantText     string
		wantOffered  []int64
		wantListings int
	}{
		{
			name: "sticky free", claim: wide, sticky: 5,
			store: &store{held: map[int64]bool{}}, want: 5,
			wantOffered: []int64{5},
		},
		{
			name: "listed once after three taken", claim: wide, sticky: -1,
			store: &store{held: allBut(last)}, want: last,
			wantOffered: append(slices.Clone(order[:3]), last), wantListings: 1,
		},
		{
			name: "every WorkerId held", claim: wide, sticky: -1,
			store: &store{held: allBut()}, wantErr: coord.ErrNoFreeWorker, wantText: "1..7 (0 is never handed out), 7 held",
			wantOffered: order[:3], wantListings: 1,
		},
		{
			name: "fewer than three candidates, all held", claim: coord.Claim{Node: "web", MaxWorkerID: 2, Reserved: []int64{0}}, sticky: -1,
			store: &store{held: map[int64]bool{1: true, 2: true}}, wantErr: coord.ErrNoFreeWorker, wantText: "1..2 (0 is never handed out), 2 held",
			wantOffered: slices.Collect(coord.Candidates(coord.Claim{Node: "web", MaxWorkerID: 2}, -1)), wantListings: 1,
		},
		{
			name: "bad sticky skipped", claim: wide, sticky: 5,
			store: &store{held: map[int64]bool{}, bad: map[int64]bool{5: true}}, want: afterFive,
			wantOffered: []int64{5, afterFive},
		},
		{
			name: "every WorkerId bad or held", claim: wide, sticky: -1,
			store:   &store{held: allBut(order[1], order[4]), bad: map[int64]bool{order[1]: true, order[4]: true}},
			wantErr: coord.ErrBadRecord, wantText: fmt.Sprintf("5 held, 2 skipped over a bad record (coord: bad record in store: hw/%d)", order[1]),
			wantOffered: []int64{order[0], order[1], order[2], order[4]}, wantListings: 1,
		},
		{
			name: "claim error ends the search", claim: wide, sticky: 5,
			store: &store{held: map[int64]bool{}, tryErr: errStore}, wantErr: errStore,
			wantOffered: []int64{5},
		},
		{
			name: "listing error ends the search", claim: wide, sticky: -1,
			store: &store{held: allBut(), heldErr: errStore}, wantErr: errStore,
			wantOffered: order[:3], wantListings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coord.FirstFree(context.Background(), "prod", tt.claim, tt.sticky, tt.store.list, tt.store.try)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("FirstFree: %v, want WorkerId %d", err, tt.want)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("FirstFree = %d, %v; want %v", got, err, tt.wantErr)
			case tt.wantErr == nil && got != tt.want:
				t.Fatalf("FirstFree = %d, want %d", got, tt.want)
			case tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText):
				t.Fatalf("FirstFree error %q does not say %q", err, tt.wantText)
			}
			if !slices.Equal(tt.store.offered, tt.wantOffered) {
				t.Errorf("offered %v, want %v", tt.store.offered, tt.wantOffered)
			}
			if tt.store.listings != tt.wantListings {
				t.Errorf("listed the held WorkerIds %d times, want %d", tt.store.listings, tt.wantListings)
			}
		})
	}
}
