package main

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/mariadbtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// importJSON mirrors segment import -o json.
type importJSON struct {
	Applied bool               `json:"applied"`
	Margin  int64              `json:"margin"`
	Actions []importActionJSON `json:"actions"`
}

type importActionJSON struct {
	Action      string  `json:"action"`
	Tag         string  `json:"tag"`
	LeafMaxID   int64   `json:"leaf_max_id"`
	MaxIDBefore *int64  `json:"max_id_before"`
	MaxIDAfter  *int64  `json:"max_id_after"`
	Step        *int64  `json:"step"`
	Error       *string `json:"error"`
}

// leafRow is one row of a Leaf leaf_alloc table, as Leaf's operators insert
// it; a nil description is NULL.
type leafRow struct {
	tag         string
	maxID, step int64
	description *string
}

// leafDB is a Leaf database on the shared MariaDB server.
type leafDB struct {
	db *mariadbtest.Database
}

// newLeafDB creates leaf_alloc as Leaf's scripts do and inserts rows.
func newLeafDB(t *testing.T, rows []leafRow) *leafDB {
	t.Helper()
	l := &leafDB{db: mariadbtest.Shared(t).NewDatabase(t)}
	l.db.Exec(t, mariadbtest.LeafAllocTable)
	for _, r := range rows {
		desc := "NULL"
		if r.description != nil {
			desc = "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`, "\t", `\t`).Replace(*r.description) + "'"
		}
		l.db.Exec(t, fmt.Sprintf("INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('%s', %d, %d, %s)", r.tag, r.maxID, r.step, desc))
	}
	return l
}

// handOut does what a Leaf server does to fetch one segment of each tag,
// n times over: UPDATE leaf_alloc SET max_id = max_id + step.
func (l *leafDB) handOut(t *testing.T, n int, tags ...string) {
	t.Helper()
	for range n {
		for _, tag := range tags {
			l.db.Exec(t, fmt.Sprintf("UPDATE leaf_alloc SET max_id = max_id + step WHERE biz_tag = '%s'", tag))
		}
	}
}

// table reads leaf_alloc through the Go driver: tag -> row.
func (l *leafDB) table(t *testing.T) map[string]leafRow {
	t.Helper()
	db, err := sql.Open("mysql", l.db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.QueryContext(testproc.Context(t), "SELECT biz_tag, max_id, step, description FROM leaf_alloc")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	rows := map[string]leafRow{}
	for rs.Next() {
		var r leafRow
		var desc sql.NullString
		if err := rs.Scan(&r.tag, &r.maxID, &r.step, &desc); err != nil {
			t.Fatal(err)
		}
		if desc.Valid {
			r.description = &desc.String
		}
		rows[r.tag] = r
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// tsvFile writes what the real client prints for the documented query to
// a file and returns its path.
func (l *leafDB) tsvFile(t *testing.T) string {
	t.Helper()
	out, err := l.db.Batch(testproc.Context(t), "SELECT biz_tag,max_id,step,description FROM leaf_alloc")
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "leaf_alloc.tsv", out)
}

func ptrTo(s string) *string { return &s }

// leafRowsOfTest has a NULL description, a tag with ':' and '-', and a
// description with a tab.
var leafRowsOfTest = []leafRow{
	{tag: "leaf-segment-test", maxID: 1, step: 2000, description: ptrTo("Test leaf Segment Mode Get Id")},
	{tag: "order:pay-2", maxID: 1, step: 1000},
	{tag: "invoice", maxID: 1_000_000, step: 500_000, description: ptrTo("tab\there")},
}

// importDoc runs segment import with args and -o json, and decodes it.
func (s segStore) importDoc(t *testing.T, args ...string) importJSON {
	t.Helper()
	var doc importJSON
	strictJSON(t, s.must(t, append(append([]string{"segment", "import"}, args...), "-o", "json")...), &doc)
	return doc
}

// actions maps each tag of doc to its action.
func (doc importJSON) actions() map[string]importActionJSON {
	m := map[string]importActionJSON{}
	for _, a := range doc.Actions {
		m[a.Tag] = a
	}
	return m
}

// checkImported checks that every tag of Leaf's table is stored with
// max_id Leaf's plus margin (or more: at least), Leaf's step and
// description, and that the next segment of each starts at or above
// Leaf's max_id.
func checkImported(t *testing.T, s segStore, leaf map[string]leafRow, margin int64) {
	t.Helper()
	for tag, r := range leaf {
		rec := s.record(t, tag)
		desc := ""
		if r.description != nil {
			desc = *r.description
		}
		if rec.MaxID != r.maxID+margin || rec.Step != r.step || rec.Description != desc {
			t.Errorf("%s imported as %+v, want max_id %d + %d, step %d, description %q", tag, rec, r.maxID, margin, r.step, desc)
		}
	}
}

// takeAll takes one segment of every tag and checks that it starts at or
// above Leaf's max_id plus margin. It returns the segments.
func takeAll(t *testing.T, s segStore, leaf map[string]leafRow, margin int64) map[string]coord.Segment {
	t.Helper()
	segs := map[string]coord.Segment{}
	for tag, r := range leaf {
		seg, _, err := coord.TakeSegment(testproc.Context(t), s.store, tag, 1, time.Now())
		if err != nil {
			t.Fatalf("TakeSegment(%q): %v", tag, err)
		}
		if seg.Start < r.maxID+margin {
			t.Errorf("%s: idcoord's first segment %+v starts below Leaf's max_id %d + margin %d", tag, seg, r.maxID, margin)
		}
		segs[tag] = seg
	}
	return segs
}

func TestSegmentImportFromLeaf(t *testing.T) {
	l := newLeafDB(t, leafRowsOfTest)
	l.handOut(t, 3, "leaf-segment-test", "order:pay-2") // Leaf's servers fetched segments
	l.handOut(t, 1, "invoice")
	leaf := l.table(t)
	ep := etcdtest.StartEmbedded(t).Endpoints()[0]
	s := etcdSegCluster(t, ep, "by-dsn")

	// The dry run prints the plan and writes nothing.
	out := s.must(t, "segment", "import", "--leaf-dsn", l.db.DSN)
	for _, want := range []string{"create", "leaf-segment-test", "order:pay-2", "invoice", "3 to create", "dry run", "--yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("segment import without --yes printed %q, without %q", out, want)
		}
	}
	doc := s.importDoc(t, "--leaf-dsn", l.db.DSN)
	if doc.Applied || len(doc.Actions) != len(leaf) {
		t.Fatalf("dry run -o json: %+v, want %d actions, not applied", doc, len(leaf))
	}
	for tag, a := range doc.actions() {
		if a.Action != "create" || a.LeafMaxID != leaf[tag].maxID || a.MaxIDAfter == nil || *a.MaxIDAfter != leaf[tag].maxID || a.MaxIDBefore != nil {
			t.Errorf("dry run: %+v, want create at Leaf's max_id %d", a, leaf[tag].maxID)
		}
	}
	if entries, err := s.store.ListSegments(testproc.Context(t)); err != nil || len(entries) != 0 {
		t.Fatalf("after the dry runs the store holds %+v, %v; want nothing", entries, err)
	}

	// --yes imports: each tag at Leaf's max_id, with its step and description.
	doc = s.importDoc(t, "--leaf-dsn", l.db.DSN, "--yes")
	if !doc.Applied || len(doc.Actions) != len(leaf) {
		t.Fatalf("import --yes: %+v", doc)
	}
	checkImported(t, s, leaf, 0)
	segs := takeAll(t, s, leaf, 0)

	// A second run keeps every tag; one after idcoord handed out more does
	// not lower it.
	doc = s.importDoc(t, "--leaf-dsn", l.db.DSN, "--yes")
	for tag, a := range doc.actions() {
		if a.Action != "keep" || a.MaxIDAfter == nil || *a.MaxIDAfter != segs[tag].End {
			t.Errorf("second import: %+v, want keep at idcoord's max_id %d", a, segs[tag].End)
		}
		if rec := s.record(t, tag); rec.MaxID != segs[tag].End {
			t.Errorf("%s: max_id %d after the second import, want %d (never lowered)", tag, rec.MaxID, segs[tag].End)
		}
	}
	if out := s.must(t, "segment", "import", "--leaf-dsn", l.db.DSN, "--yes"); !strings.Contains(out, "0 created, 0 raised, 3 kept") {
		t.Errorf("third import printed %q", out)
	}

	// Leaf went on fetching past idcoord: the next import raises that tag.
	l.handOut(t, 2, "invoice")
	leaf = l.table(t)
	doc = s.importDoc(t, "--leaf-dsn", l.db.DSN, "--yes")
	a := doc.actions()["invoice"]
	if a.Action != "raise" || *a.MaxIDBefore != segs["invoice"].End || *a.MaxIDAfter != leaf["invoice"].maxID {
		t.Errorf("import after Leaf fetched more: %+v, want raise from %d to Leaf's %d", a, segs["invoice"].End, leaf["invoice"].maxID)
	}
	takeAll(t, s, leaf, 0)

	// The same table through the real mysql --batch client, from a file
	// and from standard input, into clusters of their own.
	byTSV := etcdSegCluster(t, ep, "by-tsv")
	byTSV.must(t, "segment", "import", "--leaf-tsv", l.tsvFile(t), "--yes")
	checkImported(t, byTSV, leaf, 0)
	takeAll(t, byTSV, leaf, 0)

	stdin := etcdSegCluster(t, ep, "by-stdin")
	tsv, err := l.db.Batch(testproc.Context(t), "SELECT biz_tag,max_id,step,description FROM leaf_alloc")
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCommand()
	var stdout, stderr bytes.Buffer
	root.SetArgs(append([]string{"segment", "import", "--leaf-tsv", "-", "--yes"}, stdin.args...))
	root.SetIn(strings.NewReader(tsv))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	if err := root.Execute(); err != nil {
		t.Fatalf("segment import --leaf-tsv -: %v (stderr %q)", err, stderr.String())
	}
	checkImported(t, stdin, leaf, 0)
}

func TestSegmentImportWithMargin(t *testing.T) {
	l := newLeafDB(t, leafRowsOfTest)
	ep := etcdtest.StartEmbedded(t).Endpoints()[0]
	s := etcdSegCluster(t, ep, "margin")
	const margin = 2 * 2 * 500_000 // two Leaf servers, two fetches each, of the largest step
	doc := s.importDoc(t, "--leaf-tsv", l.tsvFile(t), "--margin", fmt.Sprint(margin), "--yes")
	if doc.Margin != margin || !doc.Applied {
		t.Fatalf("import --margin %d: %+v", margin, doc)
	}
	before := l.table(t)
	checkImported(t, s, before, margin)
	// Leaf's two servers fetch two more segments each after the read.
	l.handOut(t, 4, "leaf-segment-test", "order:pay-2", "invoice")
	after := l.table(t)
	for tag, seg := range takeAll(t, s, before, margin) {
		if seg.Start < after[tag].maxID {
			t.Errorf("%s: idcoord's first segment %+v is below Leaf's max_id %d after its fetches", tag, seg, after[tag].maxID)
		}
	}
}

func TestSegmentImportRefuses(t *testing.T) {
	ep := etcdtest.StartEmbedded(t).Endpoints()[0]
	s := etcdSegCluster(t, ep, "refused")
	good := "biz_tag\tmax_id\tstep\tdescription\nok\t10\t10\tNULL\n"
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "neither source", args: nil, want: []string{"exactly one of --leaf-dsn DSN and --leaf-tsv FILE"}},
		{name: "both sources", args: []string{"--leaf-dsn", "root@tcp(127.0.0.1:1)/leaf", "--leaf-tsv", writeFile(t, "a.tsv", good)},
			want: []string{"exactly one of"}},
		{name: "negative margin", args: []string{"--leaf-tsv", writeFile(t, "a.tsv", good), "--margin", "-1"}, want: []string{"--margin -1"}},
		{name: "missing file", args: []string{"--leaf-tsv", "/nonexistent/leaf.tsv"}, want: []string{"--leaf-tsv", "no such file"}},
		{name: "bad tag", args: []string{"--leaf-tsv", writeFile(t, "b.tsv", good+"bad tag\t1\t10\tx\n")},
			want: []string{"line 3", `"bad tag"`, "bad segment tag"}},
		{name: "step out of range", args: []string{"--leaf-tsv", writeFile(t, "c.tsv", good+"big\t1\t2000000000\tx\n")},
			want: []string{"line 3", "step 2000000000"}},
		{name: "max_id past int64", args: []string{"--leaf-tsv", writeFile(t, "d.tsv", good+"far\t9223372036854775808\t10\tx\n")},
			want: []string{"line 3", "does not fit"}},
		{name: "margin past int64", args: []string{"--leaf-tsv", writeFile(t, "e.tsv", good+"far\t9223372036854775000\t10\tx\n"), "--margin", "1000"},
			want: []string{`"far"`, "margin 1000"}},
		{name: "nothing listens at the DSN", args: []string{"--leaf-dsn", fmt.Sprintf("leaf:pw-s3cret@tcp(127.0.0.1:%d)/leaf", testproc.MustFreePort(t))},
			want: []string{"cannot read leaf_alloc", "leaf@tcp(127.0.0.1:"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			line := s.fails(t, append([]string{"segment import"}, tt.want...), append([]string{"segment", "import", "--yes"}, tt.args...)...)
			if strings.Contains(line, "s3cret") {
				t.Errorf("the error %q shows the password", line)
			}
			if entries, err := s.store.ListSegments(testproc.Context(t)); err != nil || len(entries) != 0 {
				t.Errorf("a refused import wrote %+v, %v", entries, err)
			}
		})
	}
}

func TestSegmentImportStopsAtUnreadableRecord(t *testing.T) {
	ep := etcdtest.StartEmbedded(t).Endpoints()[0]
	s := etcdSegCluster(t, ep, "unreadable")
	s.raw(t, coord.SegmentKey("broken"), "{not json")
	tsv := writeFile(t, "leaf.tsv", "biz_tag\tmax_id\tstep\tdescription\nbroken\t10\t10\tNULL\nfine\t10\t10\tNULL\n")
	for _, yes := range []bool{false, true} {
		args := append([]string{"segment", "import", "--leaf-tsv", tsv}, s.args...)
		if yes {
			args = append(args, "--yes")
		}
		stdout, stderr, code := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "unreadable segment records") || !strings.Contains(stderr, "broken") {
			t.Errorf("import --yes=%v over an unreadable record: exit %d, stderr %q; want 1 naming it", yes, code, stderr)
		}
		if !yes && !strings.Contains(stdout, "unreadable") {
			t.Errorf("the dry run's plan %q does not show the unreadable tag", stdout)
		}
		if _, _, err := s.store.GetSegment(testproc.Context(t), "fine"); !errors.Is(err, coord.ErrNoSegment) {
			t.Fatalf("import --yes=%v wrote another tag despite the unreadable one: %v", yes, err)
		}
	}
}
