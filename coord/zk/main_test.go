package zkcoord

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout is the session timeout tests ask for; the server below grants
// sessions from 0.4s to 4s.
const testTimeout = 2 * time.Second

// startZK starts a ZooKeeper server with a short tick, so that sessions of a
// few seconds are allowed.
func startZK(t testing.TB) *zktest.Server {
	t.Helper()
	return zktest.StartWith(t, zktest.Options{TickTime: 200 * time.Millisecond})
}

// testCtx is a context that ends with the test, bounded to a minute.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLogs is a logger that writes to t.Log and keeps every entry for
// inspection.
func testLogs(t testing.TB) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(zapcore.NewTee(coordtest.Logger(t, zap.DebugLevel).Core(), core)), logs
}

// open starts a Backend on addr for cluster, closed when the test ends.
func open(t testing.TB, addr, cluster string, edit func(*Config)) *Backend {
	t.Helper()
	log, _ := testLogs(t)
	cfg := Config{Servers: []string{addr}, Cluster: cluster, SessionTimeout: testTimeout, Logger: log}
	if edit != nil {
		edit(&cfg)
	}
	b, err := New(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cluster, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// raw opens a plain client, as an operator or a Leaf process would use.
func raw(t testing.TB, addr string) *gozk.Conn { return zktest.Dial(t, addr, testTimeout) }

// claimFor is a claim for node with WorkerIDs 1..max (0 reserved).
func claimFor(node string, max int64) coord.Claim {
	return coord.Claim{Node: node, Admin: "127.0.0.1:7070", MaxWorkerID: max, Reserved: []int64{0}}
}

// mustAcquire acquires or stops the test.
func mustAcquire(t testing.TB, b *Backend, c coord.Claim) coord.Lease {
	t.Helper()
	l, err := b.Acquire(testCtx(t), c)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", c.Node, err)
	}
	return l
}

// wantErr fails the test unless err wraps want.
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want one wrapping %v", err, want)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startFleetZK starts a ZooKeeper server that takes any number of
// connections from loopback (ZooKeeper's default is 60 per address) and
// grants sessions of up to 40s, for tests that start many nodes at once.
func startFleetZK(t testing.TB) *zktest.Server {
	t.Helper()
	return zktest.StartWith(t, zktest.Options{MaxClientCnxns: -1})
}
