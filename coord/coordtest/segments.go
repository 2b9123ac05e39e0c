package coordtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// testSegments runs the coord.SegmentStore cases, through the functions
// every writer uses (TakeSegment, CreateSegment, SetSegmentStep,
// RaiseSegment). Each case is a subtest, and so, in the harnesses, a
// cluster of its own, and uses tags unique to the run. A backend that is no
// SegmentStore skips them.
func testSegments(t *testing.T, h Harness) {
	if b := open(t, h); !isSegmentStore(b) {
		t.Skipf("%T does not implement coord.SegmentStore", b)
	}
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"CreateAndGet", testSegmentCreate},
		{"Take", testSegmentTake},
		{"ConcurrentTakes", testSegmentRace},
		{"SetStep", testSegmentStep},
		{"Raise", testSegmentRaise},
		{"Overflow", testSegmentOverflow},
		{"BadRecord", testSegmentBadRecord},
		{"StaleVersion", testSegmentStale},
		{"Closed", testSegmentClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, h) })
	}
}

func isSegmentStore(b coord.Backend) bool {
	_, ok := b.(coord.SegmentStore)
	return ok
}

// segments opens a new client of the backend as a SegmentStore.
func segments(t *testing.T, h Harness) coord.SegmentStore {
	t.Helper()
	b := open(t, h)
	s, ok := b.(coord.SegmentStore)
	if !ok {
		t.Fatalf("%T is no coord.SegmentStore", b)
	}
	return s
}

// newTag returns a tag unique to this test run.
func newTag(t *testing.T, name string) string { return node(t, name) }

// mustGet reads tag or stops the test.
func mustGet(ctx context.Context, t *testing.T, s coord.SegmentStore, tag string) (coord.SegmentRecord, coord.SegmentVersion) {
	t.Helper()
	r, v, err := s.GetSegment(ctx, tag)
	if err != nil {
		t.Fatalf("GetSegment(%s): %v", tag, err)
	}
	if v <= 0 {
		t.Fatalf("GetSegment(%s) returned version %d; a stored record's version is positive", tag, v)
	}
	return r, v
}

// mustCreate creates tag or stops the test.
func mustCreate(ctx context.Context, t *testing.T, s coord.SegmentStore, tag string, start, step int64) coord.SegmentRecord {
	t.Helper()
	r, err := coord.CreateSegment(ctx, s, tag, start, step, "", time.Now())
	if err != nil {
		t.Fatalf("CreateSegment(%s, start %d, step %d): %v", tag, start, step, err)
	}
	return r
}

// wantSegmentErr fails the test unless err wraps want.
func wantSegmentErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v; want an error wrapping %v", what, err, want)
	}
}

// wantBadRecord fails the test unless err wraps coord.ErrBadRecord and names
// tag's key.
func wantBadRecord(t *testing.T, what string, err error, tag string) {
	t.Helper()
	wantSegmentErr(t, what, err, coord.ErrBadRecord)
	if !strings.Contains(err.Error(), coord.SegmentKey(tag)) {
		t.Fatalf("%s = %v; want it to name %s", what, err, coord.SegmentKey(tag))
	}
}

// writeRaw writes data under tag's key with a plain client, or skips the
// test when the harness cannot.
func writeRaw(t *testing.T, h Harness, tag string, data []byte) {
	t.Helper()
	if h.WriteRaw == nil {
		t.Skip("the harness has no WriteRaw")
	}
	h.WriteRaw(t, coord.SegmentKey(tag), data)
}

// testSegmentCreate: a created record reads back as written, from another
// client; a second create and the calls on an unknown tag fail and write
// nothing.
func testSegmentCreate(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)
	tag := newTag(t, "orders")
	now := time.Now()
	want := coord.SegmentRecord{MaxID: 1, Step: 1000, Description: "order numbers", UpdateTime: now.UnixMilli()}
	created, err := coord.CreateSegment(ctx, s, tag, want.MaxID, want.Step, want.Description, now)
	if err != nil || created != want {
		t.Fatalf("CreateSegment = %+v, %v; want %+v", created, err, want)
	}
	other := segments(t, h)
	got, v := mustGet(ctx, t, other, tag)
	if got != want {
		t.Fatalf("GetSegment from another client = %+v; want %+v", got, want)
	}
	_, err = coord.CreateSegment(ctx, other, tag, 500, 10, "again", now)
	wantSegmentErr(t, "a second CreateSegment", err, coord.ErrSegmentExists)
	if again, v2 := mustGet(ctx, t, s, tag); again != want || v2 != v {
		t.Fatalf("after a refused create: %+v at version %d; want %+v at %d", again, v2, want, v)
	}

	unknown := newTag(t, "unknown")
	_, _, err = s.GetSegment(ctx, unknown)
	wantSegmentErr(t, "GetSegment of an unknown tag", err, coord.ErrNoSegment)
	seg, _, err := coord.TakeSegment(ctx, s, unknown, 10, now)
	wantSegmentErr(t, "TakeSegment of an unknown tag", err, coord.ErrNoSegment)
	if seg != (coord.Segment{}) {
		t.Fatalf("TakeSegment of an unknown tag returned the segment %+v", seg)
	}
	_, err = coord.SetSegmentStep(ctx, s, unknown, 10, now)
	wantSegmentErr(t, "SetSegmentStep of an unknown tag", err, coord.ErrNoSegment)
	_, _, err = other.GetSegment(ctx, unknown)
	wantSegmentErr(t, "GetSegment after the calls on an unknown tag", err, coord.ErrNoSegment)
}

// testSegmentTake: segments follow each other from the tag's start, and a
// step below the record's is raised to it.
func testSegmentTake(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)
	tag := newTag(t, "take")
	const start, step = 1, 1000
	mustCreate(ctx, t, s, tag, start, step)
	next := int64(start)
	for _, ask := range []int64{step, step / 100, 1, step*2 + 500} {
		seg, rec, err := coord.TakeSegment(ctx, s, tag, ask, time.Now())
		want := coord.Segment{Start: next, End: next + max(ask, step)}
		if err != nil || seg != want {
			t.Fatalf("TakeSegment(step %d) = %+v, %v; want %+v", ask, seg, err, want)
		}
		if rec.MaxID != want.End || rec.Step != step {
			t.Fatalf("TakeSegment(step %d) wrote %+v; want max_id %d and step %d", ask, rec, want.End, step)
		}
		next = want.End
	}
	if got, _ := mustGet(ctx, t, segments(t, h), tag); got.MaxID != next || got.Step != step {
		t.Fatalf("after the takes the record is %+v; want max_id %d and step %d", got, next, step)
	}
}

// testSegmentRace: clients take segments at once, with mixed steps (some
// below the record's). No two segments overlap, none is missing between
// them, and max_id ends at the start plus every step used.
func testSegmentRace(t *testing.T, h Harness) {
	const clients, takes = 4, 25
	const start, step = 1, 7
	ctx := ctxFor(t)
	tag := newTag(t, "race")
	mustCreate(ctx, t, segments(t, h), tag, start, step)
	stores := make([]coord.SegmentStore, clients)
	for c := range stores {
		stores[c] = segments(t, h)
	}
	got := make([][]coord.Segment, clients)
	errs := make([]error, clients)
	var used int64 // the sum of the steps used, as the asks say
	var wg sync.WaitGroup
	for c := range clients {
		for j := range takes {
			used += max(askOf(c, j, takes), step)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range takes {
				ask := askOf(c, j, takes)
				seg, _, err := coord.TakeSegment(ctx, stores[c], tag, ask, time.Now())
				if err == nil && seg.Len() != max(ask, step) {
					err = fmt.Errorf("segment %+v holds %d IDs; want %d", seg, seg.Len(), max(ask, step))
				}
				if err != nil {
					errs[c] = fmt.Errorf("client %d, take %d (step %d): %w", c, j, ask, err)
					return
				}
				got[c] = append(got[c], seg)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(got...)
	sort.Slice(all, func(i, j int) bool { return all[i].Start < all[j].Start })
	if all[0].Start != start {
		t.Fatalf("the first segment is %+v; want it to start at %d", all[0], start)
	}
	for i := 1; i < len(all); i++ {
		switch prev, seg := all[i-1], all[i]; {
		case seg.Start < prev.End:
			t.Fatalf("segments %+v and %+v overlap", prev, seg)
		case seg.Start > prev.End:
			t.Fatalf("no segment holds the IDs between %+v and %+v", prev, seg)
		}
	}
	final, _ := mustGet(ctx, t, segments(t, h), tag)
	if last := all[len(all)-1]; final.MaxID != last.End || final.MaxID != start+used {
		t.Fatalf("final max_id %d; the last segment is %+v, and start + steps used is %d", final.MaxID, last, start+used)
	}
	t.Logf("%d clients took %d segments, %d IDs", clients, len(all), used)
}

// askOf is the step client c asks for in its take j: 1 to 20, so a third
// of the asks are below the record's step and raised to it.
func askOf(c, j, takes int) int64 { return int64(1 + (c*takes+j*7)%20) }

// testSegmentStep: SetSegmentStep changes the step and leaves max_id; the
// next take uses the new step; a step out of range is refused.
func testSegmentStep(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)
	tag := newTag(t, "step")
	const start, step, newStep = 100, 10, 50
	created := mustCreate(ctx, t, s, tag, start, step)
	if _, _, err := coord.TakeSegment(ctx, s, tag, step, time.Now()); err != nil {
		t.Fatal(err)
	}
	rec, err := coord.SetSegmentStep(ctx, s, tag, newStep, time.Now())
	if err != nil || rec.Step != newStep || rec.MaxID != start+step || rec.Description != created.Description {
		t.Fatalf("SetSegmentStep(%d) = %+v, %v; want step %d and max_id %d", newStep, rec, err, newStep, start+step)
	}
	if got, _ := mustGet(ctx, t, s, tag); got != rec {
		t.Fatalf("after SetSegmentStep the record is %+v; want %+v", got, rec)
	}
	seg, _, err := coord.TakeSegment(ctx, s, tag, 1, time.Now())
	if want := (coord.Segment{Start: start + step, End: start + step + newStep}); err != nil || seg != want {
		t.Fatalf("TakeSegment after SetSegmentStep = %+v, %v; want %+v", seg, err, want)
	}
	before, v := mustGet(ctx, t, s, tag)
	for _, bad := range []int64{0, -1, coord.MaxSegmentStep + 1} {
		_, err := coord.SetSegmentStep(ctx, s, tag, bad, time.Now())
		wantSegmentErr(t, fmt.Sprintf("SetSegmentStep(%d)", bad), err, coord.ErrBadRecord)
	}
	if after, v2 := mustGet(ctx, t, s, tag); after != before || v2 != v {
		t.Fatalf("refused steps changed the record from %+v (version %d) to %+v (version %d)", before, v, after, v2)
	}
}

// testSegmentRaise: RaiseSegment creates a missing tag, raises a lower
// max_id keeping the step and description, leaves a higher one alone, and
// run twice writes once.
func testSegmentRaise(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)
	tag := newTag(t, "raise")
	now := time.Now()
	want := coord.SegmentRecord{MaxID: 5000, Step: 200, Description: "imported"}
	before, after, wrote, err := coord.RaiseSegment(ctx, s, tag, want, now)
	want.UpdateTime = now.UnixMilli()
	if err != nil || !wrote || before != (coord.SegmentRecord{}) || after != want {
		t.Fatalf("RaiseSegment of a missing tag = %+v, %+v, %v, %v; want {}, %+v, true", before, after, wrote, err, want)
	}
	stored, v := mustGet(ctx, t, s, tag)
	if stored != want {
		t.Fatalf("after RaiseSegment created it the record is %+v; want %+v", stored, want)
	}

	lower := coord.SegmentRecord{MaxID: want.MaxID - 1000, Step: 300, Description: "other"}
	before, after, wrote, err = coord.RaiseSegment(ctx, s, tag, lower, time.Now())
	if err != nil || wrote || before != stored || after != stored {
		t.Fatalf("RaiseSegment to a lower max_id = %+v, %+v, %v, %v; want the stored %+v twice and no write", before, after, wrote, err, stored)
	}
	if got, v2 := mustGet(ctx, t, s, tag); got != stored || v2 != v {
		t.Fatalf("RaiseSegment to a lower max_id changed %+v (version %d) to %+v (version %d)", stored, v, got, v2)
	}

	higher := coord.SegmentRecord{MaxID: want.MaxID + 4000, Step: 300, Description: "other"}
	now = time.Now()
	before, after, wrote, err = coord.RaiseSegment(ctx, s, tag, higher, now)
	raised := coord.SegmentRecord{MaxID: higher.MaxID, Step: stored.Step, Description: stored.Description, UpdateTime: now.UnixMilli()}
	if err != nil || !wrote || before != stored || after != raised {
		t.Fatalf("RaiseSegment to a higher max_id = %+v, %+v, %v, %v; want %+v, %+v, true", before, after, wrote, err, stored, raised)
	}
	if got, _ := mustGet(ctx, t, s, tag); got != raised {
		t.Fatalf("after RaiseSegment the record is %+v; want %+v", got, raised)
	}

	again := coord.SegmentRecord{MaxID: higher.MaxID + 3000, Step: 200}
	_, first, wrote, err := coord.RaiseSegment(ctx, s, tag, again, time.Now())
	if err != nil || !wrote || first.MaxID != again.MaxID {
		t.Fatalf("RaiseSegment to %d = %+v, %v, %v; want a write", again.MaxID, first, wrote, err)
	}
	_, v1 := mustGet(ctx, t, s, tag)
	_, second, wrote, err := coord.RaiseSegment(ctx, s, tag, again, time.Now())
	if err != nil || wrote || second != first {
		t.Fatalf("RaiseSegment to %d again = %+v, %v, %v; want %+v and no write", again.MaxID, second, wrote, err, first)
	}
	if _, v2 := mustGet(ctx, t, s, tag); v2 != v1 {
		t.Fatalf("RaiseSegment run twice wrote twice: version %d, then %d", v1, v2)
	}
}

// testSegmentOverflow: a take that would pass the largest int64 fails and
// writes nothing; the last segment that fits ends at exactly 2^63-1; a
// stored max_id past it is a bad record, never a negative number.
func testSegmentOverflow(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)

	near := newTag(t, "near")
	writeRaw(t, h, near, coord.SegmentRecord{MaxID: math.MaxInt64 - 10, Step: 100}.Encode())
	rec, v := mustGet(ctx, t, s, near)
	for _, ask := range []int64{1, 100, coord.MaxSegmentStep} {
		seg, _, err := coord.TakeSegment(ctx, s, near, ask, time.Now())
		wantSegmentErr(t, fmt.Sprintf("TakeSegment(step %d) at max_id %d", ask, rec.MaxID), err, coord.ErrSegmentOverflow)
		if seg != (coord.Segment{}) {
			t.Fatalf("an overflowing TakeSegment returned the segment %+v", seg)
		}
	}
	if got, v2 := mustGet(ctx, t, s, near); got != rec || v2 != v {
		t.Fatalf("overflowing takes changed %+v (version %d) to %+v (version %d)", rec, v, got, v2)
	}

	edge := newTag(t, "edge")
	writeRaw(t, h, edge, coord.SegmentRecord{MaxID: math.MaxInt64 - 100, Step: 100}.Encode())
	seg, _, err := coord.TakeSegment(ctx, s, edge, 1, time.Now())
	if want := (coord.Segment{Start: math.MaxInt64 - 100, End: math.MaxInt64}); err != nil || seg != want {
		t.Fatalf("the last take = %+v, %v; want %+v", seg, err, want)
	}
	_, _, err = coord.TakeSegment(ctx, s, edge, 1, time.Now())
	wantSegmentErr(t, "a take after max_id reached 2^63-1", err, coord.ErrSegmentOverflow)
	if got, _ := mustGet(ctx, t, s, edge); got.MaxID != math.MaxInt64 {
		t.Fatalf("after the last take max_id is %d; want %d", got.MaxID, int64(math.MaxInt64))
	}

	past := newTag(t, "past")
	tooBig := strconv.FormatUint(math.MaxInt64+1, 10)
	writeRaw(t, h, past, []byte(`{"max_id":`+tooBig+`,"step":100,"description":"","update_time":0}`))
	rec, _, err = s.GetSegment(ctx, past)
	wantBadRecord(t, "GetSegment of max_id "+tooBig, err, past)
	if rec.MaxID < 0 {
		t.Fatalf("GetSegment of max_id %s returned max_id %d", tooBig, rec.MaxID)
	}
	seg, rec, err = coord.TakeSegment(ctx, s, past, 1, time.Now())
	wantBadRecord(t, "TakeSegment of max_id "+tooBig, err, past)
	if seg != (coord.Segment{}) || rec.MaxID < 0 {
		t.Fatalf("TakeSegment of max_id %s returned %+v, %+v", tooBig, seg, rec)
	}
}

// testSegmentBadRecord: a record that is not JSON, or is empty, fails
// GetSegment and TakeSegment naming its key, and ListSegments returns it with
// Err set, in byte order among the good tags.
func testSegmentBadRecord(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)
	bad, empty := newTag(t, "bad"), newTag(t, "empty")
	writeRaw(t, h, bad, []byte("max_id=5 step=10"))
	writeRaw(t, h, empty, []byte{})
	for _, tag := range []string{bad, empty} {
		_, _, err := s.GetSegment(ctx, tag)
		wantBadRecord(t, "GetSegment of "+tag, err, tag)
		_, _, err = coord.TakeSegment(ctx, s, tag, 10, time.Now())
		wantBadRecord(t, "TakeSegment of "+tag, err, tag)
	}

	// Upper case sorts before lower case in byte order.
	good := map[string]coord.SegmentRecord{}
	for i, name := range []string{"zeta", "Alpha", "b"} {
		tag := newTag(t, name)
		good[tag] = mustCreate(ctx, t, s, tag, int64(i+1)*1000, 10)
	}
	tags := []string{bad, empty}
	for tag := range good {
		tags = append(tags, tag)
	}
	sort.Strings(tags)

	list, err := segments(t, h).ListSegments(ctx)
	if err != nil {
		t.Fatalf("ListSegments: %v", err)
	}
	var listed []string
	for _, e := range list {
		listed = append(listed, e.Tag)
	}
	if !slices.Equal(listed, tags) {
		t.Fatalf("ListSegments lists %q; want %q", listed, tags)
	}
	for _, e := range list {
		want, ok := good[e.Tag]
		if !ok {
			wantBadRecord(t, "ListSegments' entry of "+e.Tag, e.Err, e.Tag)
			continue
		}
		_, v := mustGet(ctx, t, s, e.Tag)
		if e.Err != nil || e.Record != want || e.Version != v {
			t.Fatalf("ListSegments' entry of %s = %+v; want %+v at version %d", e.Tag, e, want, v)
		}
	}
}

// testSegmentStale: PutSegment writes only at the stored version (zero: only
// a missing record), and a refused write changes nothing.
func testSegmentStale(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	s := segments(t, h)
	tag := newTag(t, "stale")
	mustCreate(ctx, t, s, tag, 1, 10)
	old, oldV := mustGet(ctx, t, s, tag)
	if _, _, err := coord.TakeSegment(ctx, segments(t, h), tag, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	cur, v := mustGet(ctx, t, s, tag)
	if v == oldV {
		t.Fatalf("a take left the version at %d", v)
	}
	// old would lower max_id back to where it was before the take.
	_, err := s.PutSegment(ctx, tag, old, oldV)
	wantSegmentErr(t, "PutSegment at a stale version", err, coord.ErrSegmentChanged)
	_, err = s.PutSegment(ctx, tag, old, 0)
	wantSegmentErr(t, "PutSegment at version 0 of a stored record", err, coord.ErrSegmentChanged)
	if got, v2 := mustGet(ctx, t, s, tag); got != cur || v2 != v {
		t.Fatalf("refused writes changed %+v (version %d) to %+v (version %d)", cur, v, got, v2)
	}

	next := cur
	next.MaxID += 5
	nv, err := s.PutSegment(ctx, tag, next, v)
	if err != nil || nv <= 0 || nv == v {
		t.Fatalf("PutSegment at the stored version %d = %d, %v; want a new version", v, nv, err)
	}
	if got, v2 := mustGet(ctx, t, s, tag); got != next || v2 != nv {
		t.Fatalf("after PutSegment: %+v at version %d; want %+v at %d", got, v2, next, nv)
	}
	_, err = s.PutSegment(ctx, tag, cur, v)
	wantSegmentErr(t, "PutSegment at the version it just replaced", err, coord.ErrSegmentChanged)

	missing := newTag(t, "missing")
	_, err = s.PutSegment(ctx, missing, cur, v)
	wantSegmentErr(t, "PutSegment of a missing record at a version", err, coord.ErrSegmentChanged)
	_, _, err = s.GetSegment(ctx, missing)
	wantSegmentErr(t, "GetSegment after a refused PutSegment", err, coord.ErrNoSegment)
	cv, err := s.PutSegment(ctx, missing, cur, 0)
	if err != nil || cv <= 0 {
		t.Fatalf("PutSegment of a missing record at version 0 = %d, %v", cv, err)
	}
	if got, v2 := mustGet(ctx, t, s, missing); got != cur || v2 != cv {
		t.Fatalf("after PutSegment created it: %+v at version %d; want %+v at %d", got, v2, cur, cv)
	}
}

// testSegmentClosed: after Close every call fails with ErrClosed.
func testSegmentClosed(t *testing.T, h Harness) {
	ctx := ctxFor(t)
	b := open(t, h)
	s, ok := b.(coord.SegmentStore)
	if !ok {
		t.Fatalf("%T is no coord.SegmentStore", b)
	}
	tag := newTag(t, "closed")
	mustCreate(ctx, t, s, tag, 1, 10)
	rec, v := mustGet(ctx, t, s, tag)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, _, err := s.GetSegment(ctx, tag)
	wantSegmentErr(t, "GetSegment after Close", err, coord.ErrClosed)
	_, err = s.ListSegments(ctx)
	wantSegmentErr(t, "ListSegments after Close", err, coord.ErrClosed)
	_, err = s.PutSegment(ctx, tag, rec, v)
	wantSegmentErr(t, "PutSegment after Close", err, coord.ErrClosed)
	_, err = s.PutSegment(ctx, newTag(t, "closed-new"), rec, 0)
	wantSegmentErr(t, "PutSegment of a new tag after Close", err, coord.ErrClosed)
	_, _, err = coord.TakeSegment(ctx, s, tag, 10, time.Now())
	wantSegmentErr(t, "TakeSegment after Close", err, coord.ErrClosed)
	_, err = coord.CreateSegment(ctx, s, newTag(t, "closed-new"), 1, 10, "", time.Now())
	wantSegmentErr(t, "CreateSegment after Close", err, coord.ErrClosed)
	if got, v2 := mustGet(ctx, t, segments(t, h), tag); got != rec || v2 != v {
		t.Fatalf("calls after Close changed %+v (version %d) to %+v (version %d)", rec, v, got, v2)
	}
}
