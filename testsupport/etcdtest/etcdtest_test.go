package etcdtest

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// opTimeout bounds one client call against a server that should answer.
const opTimeout = 5 * time.Second

func newClient(t *testing.T, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: opTimeout,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("client for %v: %v", endpoints, err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func put(t *testing.T, cli *clientv3.Client, key, val string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := cli.Put(ctx, key, val); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func mustGet(t *testing.T, cli *clientv3.Client, key, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != want {
		t.Fatalf("get %s = %v, want %q", key, resp.Kvs, want)
	}
}

func TestStartEachKind(t *testing.T) {
	tests := []struct {
		name  string
		start func(testing.TB) []string
	}{
		{name: "binary", start: func(tb testing.TB) []string { return StartBinary(tb).Endpoints() }},
		{name: "binary with scheme", start: func(tb testing.TB) []string { return []string{StartBinary(tb).ClientURL()} }},
		{name: "cluster", start: func(tb testing.TB) []string { return StartCluster(tb, 3).Endpoints() }},
		{name: "embedded", start: func(tb testing.TB) []string { return StartEmbedded(tb).Endpoints() }},
		{name: "embedded with scheme", start: func(tb testing.TB) []string { return []string{StartEmbedded(tb).ClientURL()} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli := newClient(t, tt.start(t))
			put(t, cli, "/etcdtest/k", tt.name)
			mustGet(t, cli, "/etcdtest/k", tt.name)
		})
	}
}

func TestBinaryRestartKeepsData(t *testing.T) {
	s := StartBinary(t)
	cli := newClient(t, s.Endpoints())
	put(t, cli, "/etcdtest/survivor", "v1")
	firstPID := s.PID()

	s.Restart(t) // graceful stop, then start
	mustGet(t, cli, "/etcdtest/survivor", "v1")
	put(t, cli, "/etcdtest/survivor", "v2")

	s.Kill()
	if s.Running() {
		t.Fatal("Running() = true after Kill")
	}
	s.Restart(t) // start after a crash
	mustGet(t, cli, "/etcdtest/survivor", "v2")
	if s.PID() == firstPID {
		t.Fatalf("PID() = %d after two restarts, same as the first run", s.PID())
	}

	s.Stop()
	s.Stop() // stopping a stopped server does nothing
	if err := s.WaitHealthy(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("WaitHealthy on a stopped server: %v, want ErrNotRunning", err)
	}
}

func TestBinaryPause(t *testing.T) {
	s := StartBinary(t)
	cli := newClient(t, s.Endpoints())
	put(t, cli, "/etcdtest/p", "before")

	s.Pause()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := cli.Get(ctx, "/etcdtest/p")
	cancel()
	if err == nil {
		t.Fatal("get from a paused etcd succeeded")
	}
	if !s.Running() {
		t.Fatal("Running() = false for a paused server")
	}
	s.Resume()
	mustGet(t, cli, "/etcdtest/p", "before")

	s.Pause()
	s.Stop() // must not hang on a paused process
	if s.Running() {
		t.Fatal("Running() = true after Stop of a paused server")
	}
}

func TestClusterLeader(t *testing.T) {
	c := StartCluster(t, 3)
	if got := len(c.Members()); got != 3 {
		t.Fatalf("len(Members()) = %d, want 3", got)
	}
	cli := newClient(t, c.Endpoints())
	put(t, cli, "/etcdtest/c", "1")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leader, err := c.Leader(ctx)
	if err != nil {
		t.Fatalf("Leader: %v", err)
	}

	// Kill the leader: the other two elect a new one and keep the data.
	leader.Kill()
	next := waitLeader(ctx, t, c)
	if next == leader {
		t.Fatalf("leader is still %s after it was killed", leader.Name())
	}
	mustGet(t, cli, "/etcdtest/c", "1")
	leader.Restart(t)

	// Lose the quorum, then get it back by restarting both together.
	var down []*Server
	for _, m := range c.Members() {
		if m != next {
			m.Stop()
			down = append(down, m)
		}
	}
	c.Restart(t, down...)
	waitLeader(ctx, t, c)
	mustGet(t, cli, "/etcdtest/c", "1")

	for _, m := range c.Members() {
		m.Stop()
	}
	if _, err := c.Leader(ctx); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("Leader with every member stopped: %v, want ErrNoLeader", err)
	}
	c.Restart(t) // all of them, from cold
	mustGet(t, cli, "/etcdtest/c", "1")
}

// waitLeader polls Leader until a leader is elected or ctx ends.
func waitLeader(ctx context.Context, t *testing.T, c *Cluster) *Server {
	t.Helper()
	for {
		l, err := c.Leader(ctx)
		if err == nil {
			return l
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no leader: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
