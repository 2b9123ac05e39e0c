package console_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/sidecar/console"
)

// writeRaw puts value under key in the cluster, past every check of the
// backend, as a store written by hand holds it.
func (f *fleet) writeRaw(t *testing.T, key string, value []byte) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{f.endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, etcd.Prefix(f.cluster)+key, string(value)); err != nil {
		t.Fatalf("writing %s: %v", key, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoreContentsEscaped: a store written by hand holds a node name, an
// admin address and a tag description with markup in them, and a record
// that is not JSON. The page shows them as text, marks the holder that has
// no lease, and carries no script.
func TestStoreContentsEscaped(t *testing.T) {
	f := startFleet(t, 1, func(c *console.Config) { c.CacheFor = time.Millisecond })
	const evilNode = `<script>alert("node")</script>`
	const evilAdmin = `"><script>alert("admin")</script>`
	const evilDesc = `<script>alert("tag")</script> & more`
	now := time.Now()
	f.writeRaw(t, "workers/9", mustJSON(t, etcd.Holder{Node: evilNode, Admin: evilAdmin, Since: now}))
	f.writeRaw(t, "hw/9", mustJSON(t, etcd.HighWater{UnixMS: now.Add(time.Second).UnixMilli(), Holder: evilNode}))
	f.writeRaw(t, "leaf_forever/"+evilNode, mustJSON(t, coord.Report{Timestamp: now.UnixMilli(), WorkerID: 9, Admin: evilAdmin}))
	f.createTag(t, "evil", 100, evilDesc)
	f.writeRaw(t, coord.SegmentKey("broken"), []byte(`<script>alert("record")</script>`))

	body := f.get(t)
	if i := strings.Index(strings.ToLower(body), "<script"); i >= 0 {
		t.Fatalf("markup from the store reached the page unescaped at byte %d:\n%s", i, body)
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;node&#34;)&lt;/script&gt;",
		"&#34;&gt;&lt;script&gt;alert(&#34;admin&#34;)&lt;/script&gt;",
		"&lt;script&gt;alert(&#34;tag&#34;)&lt;/script&gt; &amp; more",
		"<td>evil", "bad record",
		// the hand-written holder has no lease: its row is marked
		`<td class="problems">past lease</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
