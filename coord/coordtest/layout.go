package coordtest

import (
	"errors"
	"sync"
	"testing"

	"github.com/idcoord/idcoord/coord"
)

// layouts are distinct layouts to propose: the twitter preset's, the one
// that repeats its IDs (4<<12 == 1<<14), two that differ from it only in
// the epoch or the tick, and twitter-dc's in two datacenters, which differ
// only in the datacenter ID.
var layouts = []coord.LayoutRecord{
	{TimeBits: 41, TimeUnitMS: 1, WorkerBits: 10, SequenceBits: 12, EpochUnixMS: 1288834974657},
	{TimeBits: 41, TimeUnitMS: 1, WorkerBits: 8, SequenceBits: 14, EpochUnixMS: 1288834974657},
	{TimeBits: 41, TimeUnitMS: 1, WorkerBits: 10, SequenceBits: 12, EpochUnixMS: 1288834974658},
	{TimeBits: 41, TimeUnitMS: 10, WorkerBits: 10, SequenceBits: 12, EpochUnixMS: 1288834974657},
	{TimeBits: 41, TimeUnitMS: 1, WorkerBits: 5, SequenceBits: 12, EpochUnixMS: 1288834974657, DatacenterBits: 5, DatacenterID: 1},
	{TimeBits: 41, TimeUnitMS: 1, WorkerBits: 5, SequenceBits: 12, EpochUnixMS: 1288834974657, DatacenterBits: 5, DatacenterID: 2},
}

// testLayout proposes layouts for a cluster that has none, from clients
// that race, as the first nodes of a cluster do: one proposal is stored and
// every client gets that one back, the others with ErrLayoutMismatch. A
// later, different proposal gets the stored layout back with
// ErrLayoutMismatch and changes nothing; the stored layout itself is
// accepted; a new client reads it as stored.
func testLayout(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	if stored, ok, err := inspector(t, open(t, h)).StoredLayout(ctx); ok || err != nil {
		t.Fatalf("StoredLayout of a new cluster = %v, %v, %v; want none", stored, ok, err)
	}
	got := make([]coord.LayoutRecord, len(layouts))
	errs := make([]error, len(layouts))
	var wg sync.WaitGroup
	for i := range layouts {
		b := open(t, h)
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = b.Layout(ctx, layouts[i])
		}()
	}
	wg.Wait()
	first := -1
	for i, err := range errs {
		switch {
		case err == nil && got[i] == layouts[i]:
			if first >= 0 {
				t.Fatalf("proposals %d (%v) and %d (%v) were both stored", first, layouts[first], i, layouts[i])
			}
			first = i
		case err == nil:
			t.Fatalf("proposal %d (%v) got %v back without an error", i, layouts[i], got[i])
		case !errors.Is(err, coord.ErrLayoutMismatch):
			t.Fatalf("proposal %d (%v): %v", i, layouts[i], err)
		}
	}
	if first < 0 {
		t.Fatalf("no proposal was stored: %v %v", got, errs)
	}
	stored := layouts[first]
	for i := range got {
		if got[i] != stored {
			t.Fatalf("racing proposals disagree: %d got %v, the stored one is %v", i, got[i], stored)
		}
	}
	t.Logf("stored %v; a refusal: %v", stored, errs[(first+1)%len(errs)])

	later := open(t, h)
	for i, p := range layouts {
		back, err := later.Layout(ctx, p)
		if back != stored {
			t.Fatalf("a later proposal of %v got %v back, want the stored %v", p, back, stored)
		}
		var mismatch *coord.LayoutMismatchError
		switch {
		case i == first && err != nil:
			t.Fatalf("proposing the stored layout %v again: %v", p, err)
		case i != first && !errors.As(err, &mismatch):
			t.Fatalf("a later proposal of %v = %v, want a LayoutMismatchError", p, err)
		case i != first && (mismatch.Stored != stored || mismatch.Proposed != p || mismatch.Cluster == ""):
			t.Fatalf("mismatch %+v: want stored %v, proposed %v and the cluster's name", *mismatch, stored, p)
		}
	}
	if again, ok, err := inspector(t, open(t, h)).StoredLayout(ctx); !ok || err != nil || again != stored {
		t.Fatalf("StoredLayout = %v, %v, %v; want the stored %v", again, ok, err, stored)
	}
}

// inspector returns b's read side for operators.
func inspector(t *testing.T, b coord.Backend) coord.Inspector {
	t.Helper()
	ins, ok := b.(coord.Inspector)
	if !ok {
		t.Fatalf("%T is no coord.Inspector", b)
	}
	return ins
}
