package zktest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// sessionWait bounds the wait for a client to get a session.
const sessionWait = 10 * time.Second

// testLogger sends the client's log to t.Logf until the test ends; the
// client's goroutines may still log after that, which t.Logf forbids.
type testLogger struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("zk client: "+format, args...)
	}
}

func (l *testLogger) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
}

// connect opens a session to addr and waits until it is established.
func connect(t *testing.T, addr string, timeout time.Duration) *zk.Conn {
	t.Helper()
	lg := &testLogger{t: t}
	t.Cleanup(lg.stop)
	conn, _, err := zk.Connect([]string{addr}, timeout, zk.WithLogger(lg))
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(conn.Close)
	deadline := time.Now().Add(sessionWait)
	for conn.State() != zk.StateHasSession {
		if time.Now().After(deadline) {
			t.Fatalf("no session with %s after %v (state %v)", addr, sessionWait, conn.State())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return conn
}

func create(t *testing.T, conn *zk.Conn, path, data string, flags int32) string {
	t.Helper()
	got, err := conn.Create(path, []byte(data), flags, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return got
}

func mustGet(t *testing.T, conn *zk.Conn, path, want string) {
	t.Helper()
	got, _, err := conn.Get(path)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	if string(got) != want {
		t.Fatalf("get %s = %q, want %q", path, got, want)
	}
}

// seqOf returns the number ZooKeeper appended to a sequential node's name.
func seqOf(t *testing.T, path string) int {
	t.Helper()
	const width = 10 // ZooKeeper formats the parent's cversion as %010d
	if len(path) < width {
		t.Fatalf("sequential path %q is shorter than its %d-digit suffix", path, width)
	}
	n, err := strconv.Atoi(path[len(path)-width:])
	if err != nil {
		t.Fatalf("sequential path %q: %v", path, err)
	}
	return n
}
