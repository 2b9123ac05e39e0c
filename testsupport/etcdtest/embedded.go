package etcdtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Embedded is a single-member etcd running inside the test process
// (go.etcd.io/etcd/server/v3/embed). Its methods are safe for concurrent use.
type Embedded struct {
	etcd      *embed.Etcd
	endpoint  string
	dir       string
	closeOnce sync.Once
}

// StartEmbedded starts an in-process etcd in tb.TempDir() on free loopback
// ports, waits until it is ready, and closes it through tb.Cleanup. Its log
// (errors only) goes to a file in that folder and is quoted on failure.
func StartEmbedded(tb testing.TB) *Embedded {
	tb.Helper()
	dir := tb.TempDir()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		e, err := startEmbedded(testproc.Context(tb), dir)
		if err == nil {
			tb.Cleanup(e.Close)
			tb.Logf("etcdtest: embedded etcd ready at %s in %v", e.endpoint, time.Since(start).Round(time.Millisecond))
			return e
		}
		if !testproc.IsBindConflict(err.Error()) || attempt == testproc.BindAttempts {
			tb.Fatalf("etcdtest: start embedded etcd (attempt %d of %d): %v\n--- end of %s ---\n%s",
				attempt, testproc.BindAttempts, err, embeddedLog(dir), testproc.LogTail(embeddedLog(dir)))
		}
		tb.Logf("etcdtest: a port was taken (attempt %d of %d); starting over on new ports", attempt, testproc.BindAttempts)
		if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
			tb.Fatalf("etcdtest: clear embedded data for a new attempt: %v", err)
		}
	}
}

func startEmbedded(ctx context.Context, dir string) (*Embedded, error) {
	ports, err := pickPorts(2)
	if err != nil {
		return nil, err
	}
	client := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(ports[0])}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(ports[1])}

	cfg := embed.NewConfig()
	cfg.Name = "embedded"
	cfg.Dir = filepath.Join(dir, "data")
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{embeddedLog(dir)}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcdtest: embedded etcd failed before it was ready: %w", err)
	case <-ctx.Done():
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("etcdtest: embedded etcd not ready: %w", ctx.Err())
	}
	return &Embedded{etcd: e, endpoint: client.Host, dir: dir}, nil
}

func embeddedLog(dir string) string { return filepath.Join(dir, "etcd.log") }

// Endpoints returns the client endpoint as "127.0.0.1:P", without a scheme.
func (e *Embedded) Endpoints() []string { return []string{e.endpoint} }

// ClientAddr returns the client address, "127.0.0.1:P".
func (e *Embedded) ClientAddr() string { return e.endpoint }

// ClientURL returns the client URL, "http://127.0.0.1:P".
func (e *Embedded) ClientURL() string { return "http://" + e.endpoint }

// Etcd returns the embedded server, for tests that need its internals.
func (e *Embedded) Etcd() *embed.Etcd { return e.etcd }

// Close stops the server and waits for it; later calls do nothing.
// tb.Cleanup calls it.
func (e *Embedded) Close() {
	e.closeOnce.Do(e.etcd.Close)
}
