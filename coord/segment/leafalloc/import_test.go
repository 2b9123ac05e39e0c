package leafalloc_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment/leafalloc"
	"github.com/idcoord/idcoord/testsupport/mariadbtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

func sortedRows(rows []leafalloc.Row) []leafalloc.Row {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b leafalloc.Row) int { return cmp.Compare(a.Tag, b.Tag) })
	return out
}

func TestLeafReadDBAndTSVAgree(t *testing.T) {
	l := newLeaf(t)
	l.handOut(t, "leaf-segment-test", 3)
	l.handOut(t, "invoice", 1)
	ctx := testproc.Context(t)
	fromDB, err := leafalloc.ReadDB(ctx, l.db.DSN)
	if err != nil {
		t.Fatalf("ReadDB: %v", err)
	}
	if !slices.Equal(fromDB, l.want()) {
		t.Fatalf("ReadDB =\n%+v\nwant\n%+v", fromDB, l.want())
	}
	out := l.tsv(t)
	fromTSV, err := leafalloc.ReadTSV(strings.NewReader(out))
	if err != nil {
		t.Fatalf("ReadTSV of what mysql --batch printed (%q): %v", out, err)
	}
	if !slices.Equal(sortedRows(fromTSV), l.want()) {
		t.Fatalf("ReadTSV of %q =\n%+v\nwant\n%+v", out, fromTSV, l.want())
	}
}

// takeEach takes one segment of every tag of rows from store and checks it
// starts at least margin above Leaf's max_id, where nothing Leaf handed
// out reaches.
func takeEach(t *testing.T, store coord.SegmentStore, rows []leafalloc.Row, margin int64) map[string]coord.Segment {
	t.Helper()
	segs := map[string]coord.Segment{}
	for _, r := range rows {
		seg, _, err := coord.TakeSegment(testproc.Context(t), store, r.Tag, 1, time.Now())
		if err != nil {
			t.Fatalf("TakeSegment(%q) after the import: %v", r.Tag, err)
		}
		if seg.Start < r.MaxID+margin || seg.Len() != r.Step {
			t.Errorf("%s: first segment %+v, want it to start at Leaf's max_id %d + margin %d, %d IDs long (Leaf's step)",
				r.Tag, seg, r.MaxID, margin, r.Step)
		}
		segs[r.Tag] = seg
	}
	return segs
}

func kinds(actions []leafalloc.Action) map[string]leafalloc.Kind {
	m := map[string]leafalloc.Kind{}
	for _, a := range actions {
		m[a.Tag] = a.Kind
	}
	return m
}

// versions maps each stored tag to its version, to tell whether anything
// was written.
func versions(t *testing.T, store coord.SegmentStore) map[string]coord.SegmentVersion {
	t.Helper()
	entries, err := store.ListSegments(testproc.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]coord.SegmentVersion{}
	for _, e := range entries {
		if e.Err != nil {
			t.Fatalf("%s: %v", e.Tag, e.Err)
		}
		m[e.Tag] = e.Version
	}
	return m
}

func TestLeafImportNeverLowers(t *testing.T) {
	l := newLeaf(t)
	l.handOut(t, "leaf-segment-test", 2)
	l.handOut(t, "order:pay-2", 5)
	store := newStore(t)
	ctx := testproc.Context(t)

	rows, err := leafalloc.ReadDB(ctx, l.db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	done, err := leafalloc.Apply(ctx, store, rows, 0, time.Now())
	if err != nil {
		t.Fatalf("first import: %v", err)
	}
	for _, a := range done {
		if a.Kind != leafalloc.Create || a.From != 0 || a.To != a.Leaf {
			t.Errorf("first import: %+v, want create at Leaf's max_id", a)
		}
	}
	for _, r := range l.want() {
		rec, _, err := store.GetSegment(ctx, r.Tag)
		if err != nil || rec.MaxID != r.MaxID || rec.Step != r.Step || rec.Description != r.Description {
			t.Errorf("%s after the import: %+v, %v; want Leaf's max_id, step and description %+v", r.Tag, rec, err, r)
		}
	}

	// A second import of the same table writes nothing.
	before := versions(t, store)
	done, err = leafalloc.Apply(ctx, store, rows, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for tag, k := range kinds(done) {
		if k != leafalloc.Keep {
			t.Errorf("second import: %s %s, want keep", tag, k)
		}
	}
	if after := versions(t, store); !maps(before, after) {
		t.Fatalf("the second import wrote: versions %v, then %v", before, after)
	}

	// idcoord hands out past Leaf's max_id; an import of the old table does
	// not move a tag back.
	segs := takeEach(t, store, l.want(), 0)
	if _, err := leafalloc.Apply(ctx, store, rows, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	for tag, seg := range segs {
		rec, _, err := store.GetSegment(ctx, tag)
		if err != nil || rec.MaxID != seg.End {
			t.Errorf("%s after idcoord took %+v and the import ran again: max_id %d, %v; want %d", tag, seg, rec.MaxID, err, seg.End)
		}
	}

	// Leaf fetches far past idcoord (it still ran): the next import raises.
	leafSegs := l.handOut(t, "invoice", 3)
	rows, err = leafalloc.ReadDB(ctx, l.db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := leafalloc.Plan(rows, listed(t, store), 0)
	if err != nil {
		t.Fatal(err)
	}
	done, err = leafalloc.Apply(ctx, store, rows, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(plan, done, sameAction) {
		t.Fatalf("Plan said\n%+v\nApply did\n%+v", plan, done)
	}
	want := map[string]leafalloc.Kind{"invoice": leafalloc.Raise, "leaf-segment-test": leafalloc.Keep, "order:pay-2": leafalloc.Keep}
	if got := kinds(done); !maps(got, want) {
		t.Fatalf("import after Leaf fetched 3 more invoice segments: %v, want %v", got, want)
	}
	seg := takeEach(t, store, []leafalloc.Row{l.want()[0]}, 0)["invoice"]
	if last := leafSegs[len(leafSegs)-1]; seg.Start < last.End {
		t.Fatalf("idcoord's next invoice segment %+v overlaps Leaf's %+v", seg, last)
	}
}

// sameAction compares what Plan said with what Apply did.
func sameAction(a, b leafalloc.Action) bool {
	return a.Kind == b.Kind && a.Tag == b.Tag && a.Leaf == b.Leaf && a.From == b.From && a.To == b.To && a.Step == b.Step
}

func maps[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func listed(t *testing.T, store coord.SegmentStore) []coord.SegmentEntry {
	t.Helper()
	entries, err := store.ListSegments(testproc.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestLeafImportWithMarginWhileLeafRuns(t *testing.T) {
	l := newLeaf(t)
	store := newStore(t)
	ctx := testproc.Context(t)
	// Two Leaf servers, each fetching up to two segments after the import
	// read the table, of at most the largest step.
	const servers, fetches = 2, 2
	var maxStep int64
	for _, r := range leafRows {
		maxStep = max(maxStep, r.Step)
	}
	margin := servers * fetches * maxStep
	rows, err := leafalloc.ReadTSV(strings.NewReader(l.tsv(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leafalloc.Apply(ctx, store, rows, margin, time.Now()); err != nil {
		t.Fatal(err)
	}
	leafSegs := map[string][]coord.Segment{}
	for _, r := range leafRows {
		leafSegs[r.Tag] = l.handOut(t, r.Tag, servers*fetches)
	}
	first := takeEach(t, store, rows, margin)
	for tag, seg := range first {
		for _, ls := range leafSegs[tag] {
			if ls.End > seg.Start {
				t.Errorf("%s: Leaf's segment %+v reaches idcoord's first segment %+v", tag, ls, seg)
			}
		}
	}
	// Once Leaf stops, one more import raises nothing: the margin held.
	rows, err = leafalloc.ReadDB(ctx, l.db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	done, err := leafalloc.Apply(ctx, store, rows, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range done {
		if a.Kind != leafalloc.Keep {
			t.Errorf("import after Leaf stopped: %+v, want keep", a)
		}
	}
}

func TestLeafImportRefusesBadRowsBeforeWriting(t *testing.T) {
	store := newStore(t)
	ctx := testproc.Context(t)
	rows := []leafalloc.Row{{Tag: "a", MaxID: 10, Step: 10}, {Tag: "b", MaxID: 10, Step: 0}}
	done, err := leafalloc.Apply(ctx, store, rows, 0, time.Now())
	if !errors.Is(err, leafalloc.ErrBadRow) || len(done) != 0 {
		t.Fatalf("Apply with a step 0 row = %+v, %v; want nothing done and ErrBadRow", done, err)
	}
	if entries := listed(t, store); len(entries) != 0 {
		t.Fatalf("a refused import wrote %+v", entries)
	}
}

func TestLeafReadDBErrors(t *testing.T) {
	srv := mariadbtest.Shared(t)
	ctx := testproc.Context(t)

	noTable := srv.NewDatabase(t)
	if _, err := leafalloc.ReadDB(ctx, noTable.DSN); !errors.Is(err, leafalloc.ErrLeafDB) || !strings.Contains(err.Error(), "leaf_alloc") {
		t.Errorf("ReadDB without a leaf_alloc table = %v, want ErrLeafDB naming the table", err)
	}
	if _, err := leafalloc.ReadDB(ctx, "root@tcp(127.0.0.1)"); !errors.Is(err, leafalloc.ErrLeafDB) || !strings.Contains(err.Error(), "DSN") {
		t.Errorf("ReadDB of a DSN with no database = %v, want ErrLeafDB about the DSN", err)
	}
	port := testproc.MustFreePort(t)
	dsn := fmt.Sprintf("leaf:s3cret-pw@tcp(127.0.0.1:%d)/leaf", port)
	err := func() error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := leafalloc.ReadDB(ctx, dsn)
		return err
	}()
	if !errors.Is(err, leafalloc.ErrLeafDB) || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Errorf("ReadDB with nothing listening = %v, want ErrLeafDB naming the address and not the password", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	l := newLeaf(t)
	if _, err := leafalloc.ReadDB(cancelled, l.db.DSN); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadDB with a cancelled context = %v, want context.Canceled", err)
	}

	for _, tt := range []struct {
		name, insert string
		is           error
		want         string
	}{
		{name: "bad tag", insert: "('has space', 1, 10, NULL)", is: coord.ErrBadTag, want: `"has space"`},
		{name: "step zero", insert: "('a', 1, 0, NULL)", is: leafalloc.ErrBadRow, want: "step 0"},
		{name: "negative max_id", insert: "('a', -5, 10, NULL)", is: leafalloc.ErrBadRow, want: "max_id -5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := srv.NewDatabase(t)
			d.Exec(t, mariadbtest.LeafAllocTable, "INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES "+tt.insert)
			_, err := leafalloc.ReadDB(ctx, d.DSN)
			if !errors.Is(err, tt.is) || !errors.Is(err, leafalloc.ErrBadRow) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadDB = %v, want %v (ErrBadRow) holding %q", err, tt.is, tt.want)
			}
		})
	}
	t.Run("max_id past int64", func(t *testing.T) {
		d := srv.NewDatabase(t)
		d.Exec(t, strings.Replace(mariadbtest.LeafAllocTable, "bigint(20)", "bigint(20) unsigned", 1),
			"INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('a', 18446744073709551615, 10)")
		if _, err := leafalloc.ReadDB(ctx, d.DSN); !errors.Is(err, leafalloc.ErrBadRow) || !strings.Contains(err.Error(), "does not fit") {
			t.Fatalf("ReadDB of an unsigned max_id past int64 = %v, want ErrBadRow: does not fit", err)
		}
	})
}
