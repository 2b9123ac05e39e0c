package segment

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestNextStep(t *testing.T) {
	const minStep, maxStep = 100, 1000
	for _, c := range []struct {
		step   int64
		lasted time.Duration
		want   int64
	}{
		{100, 0, 200},
		{100, 14*time.Minute + 59*time.Second, 200},
		{600, time.Minute, 1000},          // capped at maxStep
		{1000, time.Minute, 1000},         // stays at the cap
		{5000, time.Minute, 5000},         // a record step above the cap is not lowered by it
		{400, 15 * time.Minute, 400},      // 15 to 30 minutes: kept
		{400, 30 * time.Minute, 400},      // 15 to 30 minutes: kept
		{400, 30*time.Minute + 1, 200},    // over 30 minutes: halved
		{150, time.Hour, 100},             // never below the record's step
		{100, 24 * time.Hour, 100},        // already at the floor
		{1, 24 * time.Hour, minStep},      // below the floor: raised to it
		{maxStep, 31 * time.Minute, 500},  // halved from the cap
		{101, 31 * time.Minute, minStep},  // 50 would be below the floor
		{minStep, 20 * time.Minute, 100},  // kept at the floor
		{999, 10 * time.Second, maxStep},  // doubled past the cap: the cap
		{maxStep, 10 * time.Second, 1000}, // at the cap
	} {
		t.Run(fmt.Sprintf("%d_after_%s", c.step, c.lasted), func(t *testing.T) {
			if got := nextStep(c.step, minStep, maxStep, c.lasted); got != c.want {
				t.Fatalf("nextStep(%d, %d, %d, %s) = %d, want %d", c.step, minStep, maxStep, c.lasted, got, c.want)
			}
		})
	}
}

// stepHarness drives one tag of an Allocator over a memStore with a manual
// clock, fetch by fetch.
type stepHarness struct {
	t     *testing.T
	store *memStore
	clock *manualClock
	a     *Allocator
	tag   string
}

func newStepHarness(t *testing.T, recordStep, maxStep int64) *stepHarness {
	h := &stepHarness{t: t, store: newMemStore(), clock: &manualClock{}, tag: "orders"}
	if _, err := coord.CreateSegment(context.Background(), h.store, h.tag, 1, recordStep, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	a, err := newAllocator(Config{Store: h.store, MaxStep: maxStep, FetchWait: time.Minute}, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	h.a = a
	if _, err := a.Next(context.Background(), h.tag); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
	return h
}

// state returns the tag's state; the tag must have loaded.
func (h *stepHarness) state() *tagState {
	h.a.tags.RLock()
	defer h.a.tags.RUnlock()
	return h.a.tags.m[h.tag]
}

func (h *stepHarness) fetching() bool {
	ts := h.state()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.fetching
}

func (h *stepHarness) waitIdle() {
	testproc.Eventually(h.t, "the fetch ends", func() bool { return !h.fetching() })
}

// fetchAfter lets lasted pass on the clock, then hands out IDs until the
// next fetch starts, waits for it, and returns the size of the segment it
// took.
func (h *stepHarness) fetchAfter(lasted time.Duration) int64 {
	h.t.Helper()
	h.clock.advance(lasted)
	before := len(h.store.takeSizes())
	for !h.fetching() && len(h.store.takeSizes()) == before {
		if _, err := h.a.Next(context.Background(), h.tag); err != nil {
			h.t.Fatal(err)
		}
	}
	h.waitIdle()
	sizes := h.store.takeSizes()
	if len(sizes) != before+1 {
		h.t.Fatalf("%d segments taken, want %d", len(sizes), before+1)
	}
	return sizes[len(sizes)-1]
}

func (h *stepHarness) expect(lasted time.Duration, want int64) {
	h.t.Helper()
	if got := h.fetchAfter(lasted); got != want {
		h.t.Fatalf("after a segment that lasted %s, the next took %d IDs, want %d", lasted, got, want)
	}
	if st := h.a.Status(); len(st) != 1 || st[0].Step != want {
		h.t.Fatalf("status after taking %d: %+v", want, st)
	}
}

func TestDynamicStep(t *testing.T) {
	h := newStepHarness(t, 100, 800)
	if got := h.store.takeSizes(); !slices.Equal(got, []int64{100}) {
		t.Fatalf("the first load took %v, want the record's step [100]", got)
	}
	h.expect(time.Minute, 200)    // under 15 min: doubles
	h.expect(14*time.Minute, 400) // still under
	h.expect(time.Second, 800)    // reaches MaxStep
	h.expect(time.Second, 800)    // capped
	h.expect(15*time.Minute, 800) // 15 to 30 min: stays
	h.expect(29*time.Minute, 800) // stays
	h.expect(31*time.Minute, 400) // over 30 min: halves
	h.expect(time.Hour, 200)      // halves
	h.expect(time.Hour, 100)      // down to the record's step
	h.expect(24*time.Hour, 100)   // never below it
	h.expect(20*time.Minute, 100) // stays
	h.expect(10*time.Minute, 200) // doubles again
	h.expect(20*time.Minute, 200) // stays
	h.expect(45*time.Minute, 100) // halves to the floor
}

func TestSetStepRaisesFloor(t *testing.T) {
	h := newStepHarness(t, 100, 10_000)
	h.expect(time.Minute, 200)
	if _, err := coord.SetSegmentStep(context.Background(), h.store, h.tag, 1500, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The halved step (100) is below the new record step, read again at
	// the fetch: the take uses the record's.
	h.expect(time.Hour, 1500)
	if st := h.a.Status(); st[0].MinStep != 1500 {
		t.Fatalf("min step %d, want the record's 1500", st[0].MinStep)
	}
	h.expect(time.Hour, 1500) // the floor holds
	h.expect(time.Minute, 3000)
	// A lower record step lowers the floor at the next fetch.
	if _, err := coord.SetSegmentStep(context.Background(), h.store, h.tag, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.expect(time.Hour, 1500)
	h.expect(time.Hour, 750)
}

func TestRecordStepAboveMaxStep(t *testing.T) {
	h := newStepHarness(t, 5000, 1000)
	h.expect(time.Minute, 5000) // the record's step wins over the cap
	h.expect(time.Hour, 5000)
}
