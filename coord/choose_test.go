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

func TestPick(t *testing.T) {
	none := map[int64]bool{}
	tests := []struct {
		name   string
		claim  coord.Claim
		sticky int64
		held   map[int64]bool
		tried  map[int64]bool
		want   int64 // 0: none left
	}{
		{"sticky first", coord.Claim{Node: "a", MaxWorkerID: 7, Reserved: []int64{0}}, 5, none, nil, 5},
		{"sticky before listing", coord.Claim{Node: "a", MaxWorkerID: 7}, 5, nil, nil, 5},
		{"ordinal after sticky", coord.Claim{Node: "idcoord-2", MaxWorkerID: 7}, 5, nil, map[int64]bool{5: true}, 3},
		{"ordinal only", coord.Claim{Node: "idcoord-0", MaxWorkerID: 7}, -1, nil, nil, 1},
		{"held sticky passed over", coord.Claim{Node: "idcoord-0", MaxWorkerID: 7}, 5, map[int64]bool{5: true}, nil, 1},
		{"reserved sticky passed over", coord.Claim{Node: "web-3", MaxWorkerID: 7, Reserved: []int64{0, 5}}, 5, nil, nil, 4},
		{"nothing blind without a preference", coord.Claim{Node: "web-9", MaxWorkerID: 7}, -1, nil, nil, 0},
		{"the one free", coord.Claim{Node: "web", MaxWorkerID: 4}, 1, map[int64]bool{1: true, 2: true, 4: true}, nil, 3},
		{"none free", coord.Claim{Node: "web", MaxWorkerID: 3}, -1, map[int64]bool{1: true, 2: true}, map[int64]bool{3: true}, 0},
		{"only reserved left", coord.Claim{Node: "web", MaxWorkerID: 2, Reserved: []int64{2}}, -1, map[int64]bool{1: true}, nil, 0},
		{"empty range", coord.Claim{Node: "web", MaxWorkerID: 0}, 1, none, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := coord.Pick(tt.claim, tt.sticky, tt.held, tt.tried)
			if ok != (tt.want != 0) || got != tt.want {
				t.Fatalf("Pick = %d, %v; want %d", got, ok, tt.want)
			}
		})
	}
}

// TestPickSpreads checks that nodes picking from one listing spread over the
// free WorkerIDs rather than crowd onto the first free one after a held run,
// and that every free WorkerID can be picked.
func TestPickSpreads(t *testing.T) {
	const max = 1023
	held := map[int64]bool{}
	for wid := int64(1); wid <= max; wid++ {
		if wid%10 != 0 { // 90% held, in runs of nine
			held[wid] = true
		}
	}
	counts := map[int64]int{}
	const nodes = 10000
	for i := range nodes {
		wid, ok := coord.Pick(coord.Claim{Node: fmt.Sprintf("node-x%d", i), MaxWorkerID: max}, -1, held, nil)
		if !ok || held[wid] {
			t.Fatalf("node %d picked %d, %v", i, wid, ok)
		}
		counts[wid]++
	}
	if len(counts) != 102 {
		t.Fatalf("%d nodes picked %d distinct WorkerIds of the 102 free", nodes, len(counts))
	}
	for wid, n := range counts {
		if n > 3*nodes/102 { // uniform: about 98 each
			t.Errorf("WorkerId %d picked by %d of %d nodes", wid, n, nodes)
		}
	}
	// The same node draws the same WorkerId from the same state.
	c := coord.Claim{Node: "node-a", MaxWorkerID: max}
	a, _ := coord.Pick(c, -1, held, nil)
	b, _ := coord.Pick(c, -1, held, nil)
	if a != b {
		t.Fatalf("Pick is not deterministic: %d then %d", a, b)
	}
}

// store is the state Search searches: which WorkerIDs are held, and what it
// was asked.
type store struct {
	held      map[int64]bool
	bad       map[int64]bool // their W cannot be read
	heldErr   error          // returned by the listing
	tryErr    error          // returned by every claim
	withHeld  bool           // a failed claim returns the listing
	racing    []int64        // WorkerIds another node claims just before they are offered
	listings  int
	offered   []int64
	lastFresh map[int64]bool
}

func (s *store) list(context.Context) (map[int64]bool, error) {
	s.listings++
	if s.heldErr != nil {
		return nil, s.heldErr
	}
	return clone(s.held), nil
}

func clone(m map[int64]bool) map[int64]bool {
	c := make(map[int64]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (s *store) try(_ context.Context, wid int64) (int64, bool, map[int64]bool, error) {
	s.offered = append(s.offered, wid)
	if slices.Contains(s.racing, wid) {
		s.held[wid] = true
	}
	switch {
	case s.tryErr != nil:
		return 0, false, nil, s.tryErr
	case s.bad[wid]:
		return 0, false, nil, fmt.Errorf("%w: hw/%d", coord.ErrBadRecord, wid)
	case s.held[wid] && s.withHeld:
		return 0, false, clone(s.held), nil
	case s.held[wid]:
		return 0, false, nil, nil
	}
	return wid, true, nil, nil
}

func TestSearch(t *testing.T) {
	wide := coord.Claim{Node: "web", MaxWorkerID: 7, Reserved: []int64{0}}
	allBut := func(free ...int64) map[int64]bool {
		held := make(map[int64]bool)
		for wid := int64(1); wid <= 7; wid++ {
			if !slices.Contains(free, wid) {
				held[wid] = true
			}
		}
		return held
	}
	errStore := errors.New("store fault")

	tests := []struct {
		name         string
		claim        coord.Claim
		sticky       int64
		listed       bool // Search is given the listing
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
			name: "sticky held, listing with the failed claim", claim: wide, sticky: 5,
			store: &store{held: allBut(3), withHeld: true}, want: 3,
			wantOffered: []int64{5, 3},
		},
		{
			name: "sticky held, listed after", claim: wide, sticky: 5,
			store: &store{held: allBut(3)}, want: 3,
			wantOffered: []int64{5, 3}, wantListings: 1,
		},
		{
			name: "listed before, held sticky never offered", claim: wide, sticky: 5, listed: true,
			store: &store{held: allBut(6)}, want: 6,
			wantOffered: []int64{6},
		},
		{
			name: "lost a race, listing again from the failed claim", claim: wide, sticky: -1, listed: true,
			store: &store{held: allBut(2, 6), withHeld: true, racing: []int64{2, 6}}, wantErr: coord.ErrNoFreeWorker,
			wantText: "7 held", wantOffered: nil, // either order
		},
		{
			name: "every WorkerId held", claim: wide, sticky: -1,
			store: &store{held: allBut()}, wantErr: coord.ErrNoFreeWorker, wantText: "1..7 (0 is never handed out), 7 held",
			wantOffered: []int64{}, wantListings: 1,
		},
		{
			name: "bad sticky skipped", claim: wide, sticky: 5,
			store: &store{held: allBut(5, 2), bad: map[int64]bool{5: true}}, want: 2,
			wantOffered: []int64{5, 2}, wantListings: 1,
		},
		{
			name: "every WorkerId bad or held", claim: wide, sticky: 2, listed: true,
			store:   &store{held: allBut(2, 4), bad: map[int64]bool{2: true, 4: true}},
			wantErr: coord.ErrBadRecord, wantText: "5 held, 2 skipped over a bad record (coord: bad record in store: hw/2)",
			wantOffered: []int64{2, 4},
		},
		{
			name: "claim error ends the search", claim: wide, sticky: 5,
			store: &store{held: map[int64]bool{}, tryErr: errStore}, wantErr: errStore,
			wantOffered: []int64{5},
		},
		{
			name: "listing error ends the search", claim: wide, sticky: -1,
			store: &store{held: allBut(), heldErr: errStore}, wantErr: errStore,
			wantOffered: []int64{}, wantListings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var held map[int64]bool
			if tt.listed {
				held = clone(tt.store.held)
			}
			got, err := coord.Search(context.Background(), "prod", tt.claim, tt.sticky, held, tt.store.list, tt.store.try)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Search: %v, want WorkerId %d", err, tt.want)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Search = %d, %v; want %v", got, err, tt.wantErr)
			case tt.wantErr == nil && got != tt.want:
				t.Fatalf("Search = %d, want %d", got, tt.want)
			case tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText):
				t.Fatalf("Search error %q does not say %q", err, tt.wantText)
			}
			if tt.wantOffered != nil && !slices.Equal(tt.store.offered, tt.wantOffered) && !(len(tt.wantOffered) == 0 && len(tt.store.offered) == 0) {
				t.Errorf("offered %v, want %v", tt.store.offered, tt.wantOffered)
			}
			if tt.store.listings != tt.wantListings {
				t.Errorf("listed the held WorkerIds %d times, want %d", tt.store.listings, tt.wantListings)
			}
		})
	}
}

// TestSearchRaceCostsOneTryEach: a node that loses every race it meets
// still claims once the racers are done, trying each lost WorkerId once.
func TestSearchRaceCostsOneTryEach(t *testing.T) {
	held := map[int64]bool{}
	for wid := int64(1); wid <= 100; wid++ {
		if wid%10 != 0 {
			held[wid] = true
		}
	}
	s := &store{held: held, withHeld: true, racing: []int64{10, 20, 30, 40, 50, 60, 70, 80, 90}}
	got, err := coord.Search(context.Background(), "prod", coord.Claim{Node: "web", MaxWorkerID: 100}, -1, clone(held), s.list, s.try)
	if err != nil || got != 100 {
		t.Fatalf("Search = %d, %v; want 100, the one no racer took", got, err)
	}
	if len(s.offered) > 10 || s.listings != 0 {
		t.Fatalf("offered %v and listed %d times: want each WorkerId at most once, no extra listing", s.offered, s.listings)
	}
}

func TestDraw(t *testing.T) {
	counts := make([]int, 10)
	for range 10000 {
		s := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		got := coord.Draw(s, 3)
		if len(got) != 3 || got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
			t.Fatalf("Draw = %v, want 3 distinct", got)
		}
		for _, v := range got {
			counts[v]++
		}
	}
	for v, n := range counts {
		if n < 2400 || n > 3600 { // uniform: 3,000 each
			t.Errorf("%d drawn %d times of 30,000", v, n)
		}
	}
	if got := coord.Draw([]int{1, 2}, 5); len(got) != 2 {
		t.Fatalf("Draw of 5 from 2 = %v", got)
	}
	if got := coord.Draw([]int{1, 2}, -1); len(got) != 0 {
		t.Fatalf("Draw of -1 = %v", got)
	}
}
