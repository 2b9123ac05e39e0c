package segment

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// TestZooKeeper runs the allocator's store tests on a real ZooKeeper.
func TestZooKeeper(t *testing.T) {
	zk := zktest.Start(t)
	runStoreTests(t, func(t *testing.T) coord.SegmentStore {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cluster := strings.ReplaceAll(clusterOf(t), " ", "_")
		b, err := zkcoord.New(ctx, zkcoord.Config{Servers: []string{zk.Addr()}, Cluster: cluster, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	})
}
