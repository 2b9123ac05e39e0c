package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"gopkg.in/yaml.v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// segmentJSON mirrors one tag of segment ls, show, create and set-step
// -o json, field by field.
type segmentJSON struct {
	Tag         string  `json:"tag" yaml:"tag"`
	MaxID       *int64  `json:"max_id" yaml:"max_id"`
	Step        *int64  `json:"step" yaml:"step"`
	Description *string `json:"description" yaml:"description"`
	UpdateTime  *string `json:"update_time" yaml:"update_time"`
	Error       *string `json:"error" yaml:"error"`
}

// segmentKeys are the keys of every tag object, null or not.
var segmentKeys = []string{"tag", "max_id", "step", "description", "update_time", "error"}

type segmentLsJSON struct {
	Segments []segmentJSON `json:"segments" yaml:"segments"`
}

// segStore is a real store for the segment commands: the flags that point
// the CLI at it, a client of the same cluster for the test's own reads and
// writes, and, on etcd, a way to write a raw value under the cluster.
type segStore struct {
	name  string
	args  []string
	store coord.SegmentStore
	raw   func(t *testing.T, key, value string) // nil: not on this store
}

// segCluster names a cluster after the test.
func segCluster(t *testing.T) string {
	return strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
}

// etcdSegStore starts an embedded etcd and returns a store on a cluster
// named after the test.
func etcdSegStore(t *testing.T) segStore {
	t.Helper()
	ep := etcdtest.StartEmbedded(t).Endpoints()[0]
	return etcdSegCluster(t, ep, segCluster(t))
}

// etcdSegCluster returns a store on cluster of the etcd at ep.
func etcdSegCluster(t *testing.T, ep, cluster string) segStore {
	t.Helper()
	ctx := testproc.Context(t)
	b, err := etcd.New(ctx, etcd.Config{Endpoints: []string{ep}, Cluster: cluster, Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return segStore{
		name:  "etcd",
		args:  []string{"--coord", "etcd", "--etcd.endpoints", ep, "--cluster", cluster},
		store: b,
		raw: func(t *testing.T, key, value string) {
			t.Helper()
			c, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Put(ctx, etcd.Prefix(cluster)+key, value); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// cli runs idcoord with args followed by the store's flags.
func (s segStore) cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLI(t, append(args, s.args...)...)
}

// must is cli that fails the test unless idcoord exits 0 with nothing on
// stderr.
func (s segStore) must(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := s.cli(t, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("idcoord %s: exit %d, stderr %q, stdout %q", strings.Join(args, " "), code, stderr, stdout)
	}
	return stdout
}

// fails runs idcoord with args and the store's flags and checks it exits 1
// with one line on stderr holding every part of want.
func (s segStore) fails(t *testing.T, want []string, args ...string) string {
	t.Helper()
	return wantOneLineError(t, want, append(args, s.args...)...)
}

// show runs segment show -o json and decodes it strictly.
func (s segStore) show(t *testing.T, tag string) segmentJSON {
	t.Helper()
	var v segmentJSON
	strictJSON(t, s.must(t, "segment", "show", tag, "-o", "json"), &v)
	return v
}

// list runs segment ls -o json, checks every object's keys and decodes it
// strictly.
func (s segStore) list(t *testing.T) segmentLsJSON {
	t.Helper()
	out := s.must(t, "segment", "ls", "-o", "json")
	wantKeys(t, out, "segments", segmentKeys)
	var doc segmentLsJSON
	strictJSON(t, out, &doc)
	return doc
}

// record reads tag's record through the store itself.
func (s segStore) record(t *testing.T, tag string) coord.SegmentRecord {
	t.Helper()
	r, _, err := s.store.GetSegment(testproc.Context(t), tag)
	if err != nil {
		t.Fatalf("GetSegment(%q): %v", tag, err)
	}
	return r
}

// checkView checks a printed tag against the stored record.
func checkView(t *testing.T, v segmentJSON, tag string, r coord.SegmentRecord) {
	t.Helper()
	want := formatTime(time.UnixMilli(r.UpdateTime))
	switch {
	case v.Tag != tag, v.Error != nil:
		t.Errorf("printed %+v, want tag %s with no error", v, tag)
	case v.MaxID == nil || *v.MaxID != r.MaxID, v.Step == nil || *v.Step != r.Step:
		t.Errorf("%s printed max_id %v step %v, stored %d %d", tag, v.MaxID, v.Step, r.MaxID, r.Step)
	case v.Description == nil || *v.Description != r.Description:
		t.Errorf("%s printed description %v, stored %q", tag, v.Description, r.Description)
	case v.UpdateTime == nil || *v.UpdateTime != want:
		t.Errorf("%s printed update_time %v, stored %s", tag, v.UpdateTime, want)
	}
}

func TestSegmentCommands(t *testing.T) {
	testSegmentCommands(t, etcdSegStore(t))
}

// zkHasSegments reports whether the ZooKeeper backend keeps segment
// records.
func zkHasSegments() bool {
	var b any = (*zkcoord.Backend)(nil)
	_, ok := b.(coord.SegmentStore)
	return ok
}

func TestSegmentCommandsOnZooKeeper(t *testing.T) {
	if !zkHasSegments() {
		t.Skip("the ZooKeeper backend does not implement coord.SegmentStore")
	}
	srv := zktest.Start(t)
	ctx := testproc.Context(t)
	cluster := segCluster(t)
	b, err := zkcoord.New(ctx, zkcoord.Config{Servers: []string{srv.Addr()}, Cluster: cluster, ConnectTimeout: 10 * time.Second,
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	store, _ := any(b).(coord.SegmentStore)
	testSegmentCommands(t, segStore{name: "zk", args: []string{"--coord", "zk", "--zk.servers", srv.Addr(), "--cluster", cluster}, store: store})
}

func testSegmentCommands(t *testing.T, s segStore) {
	if out := s.must(t, "segment", "ls"); !strings.Contains(out, "no segment tags in cluster") {
		t.Errorf("segment ls of an empty cluster printed %q", out)
	}
	if doc := s.list(t); doc.Segments == nil || len(doc.Segments) != 0 {
		t.Errorf("segment ls -o json of an empty cluster: %+v, want an empty list", doc)
	}

	before := time.Now()
	out := s.must(t, "segment", "create", "order")
	if want := "the first ID is 1, step 1000"; !strings.Contains(out, want) {
		t.Errorf("segment create order printed %q, want %q", out, want)
	}
	order := s.record(t, "order")
	if order.MaxID != 1 || order.Step != coord.DefaultSegmentStep || order.Description != "" ||
		order.UpdateTime < before.UnixMilli() || order.UpdateTime > time.Now().UnixMilli() {
		t.Errorf("created order: %+v, want max_id 1, the default step, no description, written now", order)
	}
	checkView(t, s.show(t, "order"), "order", order)

	desc := "invoice numbers\tQ1"
	var created segmentJSON
	strictJSON(t, s.must(t, "segment", "create", "inv:2026-a", "--start", "100000", "--step", "50", "--description", desc, "-o", "json"), &created)
	inv := s.record(t, "inv:2026-a")
	if inv.MaxID != 100000 || inv.Step != 50 || inv.Description != desc {
		t.Errorf("created inv:2026-a: %+v", inv)
	}
	checkView(t, created, "inv:2026-a", inv)

	s.fails(t, []string{"segment create", "exists", `"order"`}, "segment", "create", "order", "--start", "5")
	if again := s.record(t, "order"); again != order {
		t.Errorf("a refused create changed order: %+v, then %+v", order, again)
	}
	s.fails(t, []string{"segment create", "bad segment tag", `"a/b"`}, "segment", "create", "a/b")
	s.fails(t, []string{"segment create", "--step 0"}, "segment", "create", "x", "--step", "0")
	s.fails(t, []string{"segment create", "--start -1"}, "segment", "create", "x", "--start", "-1")

	doc := s.list(t)
	if len(doc.Segments) != 2 || doc.Segments[0].Tag != "inv:2026-a" || doc.Segments[1].Tag != "order" {
		t.Fatalf("segment ls -o json: %+v, want inv:2026-a and order in tag order", doc)
	}
	checkView(t, doc.Segments[0], "inv:2026-a", inv)
	checkView(t, doc.Segments[1], "order", order)
	var fromYAML segmentLsJSON
	if err := yaml.Unmarshal([]byte(s.must(t, "segment", "ls", "-o", "yaml")), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(fromYAML.Segments, doc.Segments, sameSegmentJSON) {
		t.Errorf("segment ls -o yaml %+v differs from -o json %+v", fromYAML, doc)
	}
	table := s.must(t, "segment", "ls")
	for _, want := range []string{"TAG", "MAX_ID", "inv:2026-a", "100000", `"invoice numbers\tQ1"`, "order"} {
		if !strings.Contains(table, want) {
			t.Errorf("segment ls printed %q, without %q", table, want)
		}
	}

	var stepped segmentJSON
	strictJSON(t, s.must(t, "segment", "set-step", "order", "2000", "-o", "json"), &stepped)
	if r := s.record(t, "order"); r.Step != 2000 || r.MaxID != order.MaxID {
		t.Errorf("after set-step order 2000: %+v, want step 2000 and max_id %d", r, order.MaxID)
	} else {
		checkView(t, stepped, "order", r)
	}
	s.fails(t, []string{"segment set-step", "no such segment tag", `"nope"`, "segment create"}, "segment", "set-step", "nope", "10")
	s.fails(t, []string{"segment set-step", "bad argument", `"0"`}, "segment", "set-step", "order", "0")
	s.fails(t, []string{"segment set-step", "bad argument", `"x"`}, "segment", "set-step", "order", "x")
	s.fails(t, []string{"segment show", "no such segment tag", `"nope"`}, "segment", "show", "nope")

	// A node takes a segment: show follows max_id.
	seg, _, err := coord.TakeSegment(testproc.Context(t), s.store, "order", 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if seg.Start != 1 || seg.End != 2001 {
		t.Errorf("first segment of order: %+v, want [1, 2001): the first ID is --start, the step set-step's", seg)
	}
	if v := s.show(t, "order"); v.MaxID == nil || *v.MaxID != seg.End {
		t.Errorf("segment show after a segment was taken: %+v, want max_id %d", v, seg.End)
	}
	show := s.must(t, "segment", "show", "order")
	if !strings.Contains(show, "Max ID:") || !strings.Contains(show, fmt.Sprint(seg.End)) {
		t.Errorf("segment show order printed %q", show)
	}

	// An import keeps order, which is past Leaf's max_id, and creates a
	// new tag; a second run keeps both.
	tsv := writeFile(t, "leaf.tsv", "biz_tag\tmax_id\tstep\tdescription\norder\t5\t10\tNULL\nfrom-leaf\t777\t20\tLeaf's\n")
	imported := s.must(t, "segment", "import", "--leaf-tsv", tsv, "--yes")
	if !strings.Contains(imported, "1 created, 0 raised, 1 kept") {
		t.Errorf("segment import printed %q", imported)
	}
	if r := s.record(t, "from-leaf"); r.MaxID != 777 || r.Step != 20 || r.Description != "Leaf's" {
		t.Errorf("imported from-leaf: %+v", r)
	}
	if r := s.record(t, "order"); r.MaxID != seg.End {
		t.Errorf("the import moved order from %d to %d", seg.End, r.MaxID)
	}
	if again := s.must(t, "segment", "import", "--leaf-tsv", tsv, "--yes"); !strings.Contains(again, "0 created, 0 raised, 2 kept") {
		t.Errorf("second segment import printed %q", again)
	}

	if s.raw == nil {
		return
	}
	s.raw(t, coord.SegmentKey("broken"), "{not json")
	doc = s.list(t)
	if len(doc.Segments) != 4 {
		t.Fatalf("segment ls with a bad record: %+v, want 4 tags", doc)
	}
	bad := doc.Segments[0]
	if bad.Tag != "broken" || bad.Error == nil || !strings.Contains(*bad.Error, "bad record") || bad.MaxID != nil {
		t.Errorf("the bad record listed as %+v, want its error and null fields", bad)
	}
	if table := s.must(t, "segment", "ls"); !strings.Contains(table, "unreadable") || !strings.Contains(table, "order") {
		t.Errorf("segment ls with a bad record printed %q", table)
	}
	s.fails(t, []string{"segment show", "bad record", "broken"}, "segment", "show", "broken")
}

func sameSegmentJSON(a, b segmentJSON) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestSegmentCommandsNeedASegmentStoreAndGoodArgs(t *testing.T) {
	// Arguments are checked before anything connects: no store runs here.
	none := []string{"--coord", "etcd", "--etcd.endpoints", "127.0.0.1:1"}
	wantOneLineError(t, []string{"segment show", "bad segment tag"}, append([]string{"segment", "show", "white space"}, none...)...)
	wantOneLineError(t, []string{"segment set-step", "bad argument"}, append([]string{"segment", "set-step", "order", "1000000001"}, none...)...)
	wantOneLineError(t, []string{"unknown output format"}, append([]string{"segment", "ls", "-o", "xml"}, none...)...)
	wantOneLineError(t, []string{"accepts 1 arg"}, append([]string{"segment", "show"}, none...)...)
}
