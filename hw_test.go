package idcoord_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestHandWrittenHighWaterRefused: a node issues 2,500 IDs under the only
// WorkerId and stops; W in hw/1 is then overwritten by hand. A W no holder
// can have written is a bad record: the next node refuses to start and
// names it, rather than taking a floor far below the true W (under which it
// could repeat what the last holder issued).
func TestHandWrittenHighWaterRefused(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	one := snowflake.Twitter()
	one.WorkerBits = 1 // only WorkerId 1 is usable
	for _, tc := range []struct {
		name string
		w    int64
		want string
	}{
		{"negative", -5, "negative"},
		{"before the epoch", 5, "before the layout's epoch"},
		{"past the lifetime", one.End().Add(time.Hour).UnixMilli(), "the end of the layout's lifetime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testproc.Context(t)
			o := nodeOpts{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "first", layout: one}
			first := mustStart(t, o)
			if _, err := first.NextIDs(ctx, 2500); err != nil {
				t.Fatal(err)
			}
			if err := first.Close(ctx); err != nil {
				t.Fatal(err)
			}
			cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			if _, err := cli.Put(ctx, etcd.Prefix(o.cluster)+"hw/1", fmt.Sprintf(`{"w_unix_ms": %d, "holder": "by-hand"}`, tc.w)); err != nil {
				t.Fatal(err)
			}
			o.name = "next"
			n, err := startNode(t, o)
			if err == nil {
				n.Close(ctx)
				t.Fatalf("started over W %d written by hand", tc.w)
			}
			if !errors.Is(err, coord.ErrBadRecord) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("start over W %d = %v, want ErrBadRecord saying %q", tc.w, err, tc.want)
			}
			t.Logf("refusal: %v", err)
		})
	}
}
