package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/coord/etcd"
)

// pairAddr returns a loopback address whose port and the next one (the
// member's peer port) are free now.
func pairAddr(t *testing.T) string {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
		l.Close()
		if err == nil {
			next.Close()
			return l.Addr().String()
		}
	}
	t.Fatal("no free port pair")
	return ""
}

func startEmbedded(t *testing.T, ctx context.Context, dir string, log *zap.Logger) (*etcd.Embedded, error) {
	t.Helper()
	if log == nil {
		log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	return etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{DataDir: dir, ClientAddr: pairAddr(t), Logger: log})
}

// TestEmbeddedDataDirLock starts a second member on a data dir in use: it
// fails at once, naming the holder, and the dir is free again after Close.
func TestEmbeddedDataDirLock(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := startEmbedded(t, ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, etcd.LockFile)); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(os.Getpid()) {
		t.Fatalf("lock file holds %q (%v), want this PID %d", b, err, os.Getpid())
	}
	second, err := startEmbedded(t, ctx, dir, nil)
	var inUse *etcd.DataDirInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, etcd.ErrDataDirInUse) {
		if second != nil {
			second.Close()
		}
		first.Close()
		t.Fatalf("second member on %s: %v, want a DataDirInUseError", dir, err)
	}
	if inUse.PID != os.Getpid() || inUse.Dir != dir || !strings.Contains(err.Error(), dir) {
		t.Fatalf("DataDirInUseError %+v (%v): want dir %s and this PID %d", inUse, err, dir, os.Getpid())
	}
	t.Logf("refusal: %v", err)
	first.Close()
	again, err := startEmbedded(t, ctx, dir, nil)
	if err != nil {
		t.Fatalf("start after the first member closed: %v", err)
	}
	again.Close()
}

// TestEmbeddedStartHearsContext holds the member's database lock the way
// a foreign process would: etcd then waits for it for good, and
// StartEmbedded must still return once ctx is cancelled.
func TestEmbeddedStartHearsContext(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	snap := filepath.Join(dir, "member", "snap")
	if err := os.MkdirAll(snap, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := os.OpenFile(filepath.Join(snap, "db"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := syscall.Flock(int(db.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	// Cancel once etcd has begun starting: it warns about its listeners
	// before it opens the database.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel), zaptest.WrapOptions(zap.Hooks(func(zapcore.Entry) error {
		cancel()
		return nil
	})))
	m, err := startEmbedded(t, ctx, dir, log)
	if !errors.Is(err, context.Canceled) {
		if m != nil {
			m.Close()
		}
		t.Fatalf("StartEmbedded with its database locked and ctx cancelled = %v, want context.Canceled", err)
	}
	// Let etcd go on; the abandoned start closes the member and unlocks
	// the data dir once it returns.
	syscall.Flock(int(db.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing the file unlocks too
	for {
		m, err := startEmbedded(t, context.Background(), dir, nil)
		if err == nil {
			m.Close()
			return
		}
		if !errors.Is(err, etcd.ErrDataDirInUse) {
			t.Fatalf("start after the abandoned one: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEmbeddedCloseCutsClientStreams closes a member while another client
// keeps a watch stream open, as other nodes of a cluster do. etcd alone
// would wait for such streams (up to its request timeout, 7s) before it
// stopped; Close cuts them, through the gRPC servers etcd handed over.
func TestEmbeddedCloseCutsClientStreams(t *testing.T) {
	m, err := startEmbedded(t, context.Background(), filepath.Join(t.TempDir(), "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if etcd.GRPCServers(m) == 0 {
		m.Close()
		t.Fatal("the member handed over no gRPC server to cut on Close")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{m.Endpoint()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	// A raw stream: the client library would retry a cut one for good.
	stream, err := pb.NewWatchClient(cli.ActiveConnection()).Watch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	create := &pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte("k")}}}
	if err := stream.Send(create); err != nil {
		t.Fatal(err)
	}
	if resp, err := stream.Recv(); err != nil || !resp.Created {
		t.Fatalf("watch not created: %+v %v", resp, err)
	}
	m.Close()
	for {
		if _, err := stream.Recv(); err != nil {
			t.Logf("open stream after Close: %v", err)
			return
		}
	}
}
