package idcoord_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestLocalHistoryOutlivesARestoredStore: a node issues IDs and stops;
// etcd is restored to a backup taken before, so it forgets the node's W and
// clock reports; the node restarts with its clock 3s behind. The store alone
// would let it issue the last 3s of IDs again; the node's local history of
// W makes it wait past them.
func TestLocalHistoryOutlivesARestoredStore(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	cluster := clusterOf(t)
	history := t.TempDir()
	one := snowflake.Twitter()
	one.WorkerBits = 1 // WorkerId 1 only: the restart takes the same one

	backup := testproc.Backup(t, srv)

	start := func(clock clockguard.WallClock) *idcoord.Node {
		t.Helper()
		ctx := testproc.Context(t)
		log := coordtest.Logger(t, zap.InfoLevel)
		b, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: cluster, TTL: 3 * time.Second, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: "web-0", Admin: "127.0.0.1:1", Layout: one,
			Clock: clock, HistoryDir: history, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ctx := context.Background()
	a := start(nil)
	var before []int64
	for began := time.Now(); time.Since(began) < 1500*time.Millisecond; {
		ids, err := a.NextIDs(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, ids...)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}

	testproc.Restore(t, srv, backup)

	again := start(offsetClock(-3 * time.Second))
	defer again.Close(ctx)
	after, err := again.NextIDs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	last := slices.Max(before)
	if first := slices.Min(after); first <= last {
		t.Fatalf("after the restore, the restarted node issued %d, not above its last ID %d before it", first, last)
	}
	t.Logf("%d IDs before, the restarted node's first ID %d above the last %d", len(before), after[0], last)
}

// TestUnreadableLocalHistoryRefused: a history file that cannot be read
// would lose the floor it keeps, so Start refuses, naming the file.
func TestUnreadableLocalHistoryRefused(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "last-w-web-0.json")
	for _, bad := range []string{`{"w_unix_ms": {"1": `, `{"w_unix_ms": {"x": 5}}`, `{"w_unix_ms": {"1": -5}}`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx := testproc.Context(t)
		b, err := etcd.New(ctx, etcd.Config{Endpoints: srv.Endpoints(), Cluster: clusterOf(t), Logger: coordtest.Logger(t, zap.WarnLevel)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = idcoord.Start(ctx, idcoord.Config{Backend: b, Node: "web-0", Admin: "127.0.0.1:1", HistoryDir: dir})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("Start with local history %q = %v, want an error naming %s", bad, err, path)
		}
	}
}
