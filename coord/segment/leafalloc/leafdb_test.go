package leafalloc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/segment/leafalloc"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/mariadbtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// leafRows are the rows the tests insert, as Leaf's operators would.
var leafRows = []leafalloc.Row{
	{Tag: "leaf-segment-test", MaxID: 1, Step: 2000, Description: "Test leaf Segment Mode Get Id"},
	{Tag: "order:pay-2", MaxID: 1, Step: 1000}, // description NULL
	{Tag: "invoice", MaxID: 1_000_000, Step: 500_000, Description: "tab\there, newline\nand \\ backslash"},
}

// leaf is a Leaf database with leaf_alloc filled from leafRows.
type leaf struct {
	db   *mariadbtest.Database
	rows []leafalloc.Row // what the table holds now, as the tests moved it
}

func newLeaf(t *testing.T) *leaf {
	t.Helper()
	l := &leaf{db: mariadbtest.Shared(t).NewDatabase(t)}
	l.db.Exec(t, mariadbtest.LeafAllocTable)
	for _, r := range leafRows {
		desc := "NULL"
		if r.Description != "" {
			desc = sqlString(r.Description)
		}
		l.db.Exec(t, fmt.Sprintf("INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES (%s, %d, %d, %s)",
			sqlString(r.Tag), r.MaxID, r.Step, desc))
		l.rows = append(l.rows, r)
	}
	return l
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`, "\n", `\n`, "\t", `\t`).Replace(s) + "'"
}

// handOut does what a Leaf server does to fetch a segment of tag:
// UPDATE max_id = max_id + step, n times. It returns the segments fetched.
func (l *leaf) handOut(t *testing.T, tag string, n int) []coord.Segment {
	t.Helper()
	var segs []coord.Segment
	for i := range l.rows {
		r := &l.rows[i]
		if r.Tag != tag {
			continue
		}
		for range n {
			l.db.Exec(t, fmt.Sprintf("UPDATE leaf_alloc SET max_id = max_id + step WHERE biz_tag = %s", sqlString(tag)))
			r.MaxID += r.Step
			segs = append(segs, coord.Segment{Start: r.MaxID - r.Step, End: r.MaxID})
		}
		return segs
	}
	t.Fatalf("no tag %q in leaf_alloc", tag)
	return nil
}

// want is what ReadDB and ReadTSV return now: the rows in tag order.
func (l *leaf) want() []leafalloc.Row {
	return sortedRows(l.rows)
}

// tsv is what the real client prints for the documented query.
func (l *leaf) tsv(t *testing.T) string {
	t.Helper()
	out, err := l.db.Batch(testproc.Context(t), "SELECT biz_tag,max_id,step,description FROM leaf_alloc")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newStore connects to a fresh embedded etcd as a segment store.
func newStore(t *testing.T) coord.SegmentStore {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := etcd.New(ctx, etcd.Config{Endpoints: etcdtest.StartEmbedded(t).Endpoints(), Cluster: "leafalloc",
		Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
