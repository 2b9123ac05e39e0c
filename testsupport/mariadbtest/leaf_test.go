package mariadbtest

import (
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestLeafAllocBatchOutput pins down what the real client prints for
// Leaf's table in batch mode, which leafalloc.ReadTSV reads: a header,
// tab-separated columns, \t \n \\ \0 escaped, a carriage return as it is,
// NULL and the text "NULL" alike, and nothing at all for no rows.
func TestLeafAllocBatchOutput(t *testing.T) {
	d := Shared(t).NewDatabase(t)
	d.Exec(t, LeafAllocTable)
	const query = "SELECT biz_tag,max_id,step,description FROM leaf_alloc"
	ctx := testproc.Context(t)
	if out, err := d.Batch(ctx, query); err != nil || out != "" {
		t.Fatalf("mysql --batch of an empty leaf_alloc printed %q, %v; want nothing", out, err)
	}
	d.Exec(t, "INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES "+
		"('a:b-c', 1, 1000, NULL), "+
		"('b', 9223372036854775807, 2000, 'NULL'), "+
		"('c', 3, 10, 'tab\\there\\nnl \\\\ bs \\0 nul \\r cr'), "+
		"('d', 4, 10, '')")
	out, err := d.Batch(ctx, query+" ORDER BY biz_tag")
	if err != nil {
		t.Fatal(err)
	}
	want := "biz_tag\tmax_id\tstep\tdescription\n" +
		"a:b-c\t1\t1000\tNULL\n" +
		"b\t9223372036854775807\t2000\tNULL\n" +
		"c\t3\t10\ttab\\there\\nnl \\\\ bs \\0 nul \r cr\n" +
		"d\t4\t10\t\n"
	if out != want {
		t.Fatalf("mysql --batch printed\n%q\nwant\n%q", out, want)
	}
}
