package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// waitLog waits until the node's output holds want, failing the test if
// the node exits first or timeout (an upper bound for a broken run, not a
// speed requirement) passes.
func (n *node) waitLog(want string, timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(n.logText(), want) {
		select {
		case <-n.proc.Done():
			n.t.Fatalf("%s exited before it logged %q; log:\n%s", n.name, want, n.logText())
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s did not log %q within %s; log:\n%s", n.name, want, timeout, n.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stderrLines returns the lines idcoord printed itself ("idcoord: ..."),
// and every error-level log line.
func (n *node) stderrLines() (own, errorLogs []string) {
	for _, l := range lines(n.logText()) {
		switch {
		case strings.HasPrefix(l, "idcoord: "):
			own = append(own, l)
		case strings.Contains(l, "\tERROR\t") || strings.Contains(l, `"level":"error"`):
			errorLogs = append(errorLogs, l)
		}
	}
	return own, errorLogs
}

// wantExit waits for the node's exit and checks its status, the lines it
// printed, that it logged no errors, and that its socket is gone.
func (n *node) wantExit(code int, want ...string) {
	n.t.Helper()
	if got := n.wait(30 * time.Second); got != code {
		n.t.Fatalf("%s exited %d, want %d; log:\n%s", n.name, got, code, n.logText())
	}
	own, errorLogs := n.stderrLines()
	if len(own) != len(want) {
		n.t.Fatalf("%s printed %q, want %d line(s) like %q", n.name, own, len(want), want)
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(own[i]) {
			n.t.Fatalf("%s printed %q, want it to match %q", n.name, own[i], w)
		}
	}
	if len(errorLogs) > 0 {
		n.t.Fatalf("%s logged errors: %q", n.name, errorLogs)
	}
	if _, err := os.Lstat(n.socket); !os.IsNotExist(err) {
		n.t.Fatalf("socket %s still there: %v", n.socket, err)
	}
}

func embeddedFlags(t *testing.T, data string) []string {
	return []string{"--etcd.endpoints", fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePortPair(t)), "--data-dir", data}
}

// TestServeDataDirInUse starts a second serve on a data-dir in use: it
// fails at once, naming the folder and the holder, and the first serves on.
func TestServeDataDirInUse(t *testing.T) {
	data := filepath.Join(sidecartest.ShortDir(t), "data")
	first := startNode(t, "first", embeddedFlags(t, data)...)
	first.waitReady(30 * time.Second)
	second := startNode(t, "second", embeddedFlags(t, data)...)
	second.wantExit(1, regexp.QuoteMeta(fmt.Sprintf(
		"idcoord: data-dir %s is in use by another idcoord (pid %d); stop it or choose another --data-dir", data, first.proc.PID())))
	if code, _ := first.get("/readyz"); code != 200 {
		t.Fatal("the first node was disturbed")
	}
	stopGracefully(t, first)
	again := startNode(t, "again", embeddedFlags(t, data)...)
	again.waitReady(30 * time.Second)
	stopGracefully(t, again)
}

// TestServeSignalWhileStarting signals serve in each phase of start-up
// that can wait: SIGINT exits 130 after one line, "interrupted"; SIGTERM
// exits 0 saying nothing. Neither logs an error.
func TestServeSignalWhileStarting(t *testing.T) {
	dead := fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePort(t)) // nothing listens here
	phases := []struct {
		name  string
		flags func(t *testing.T) []string
		when  string // the log line that says the phase has begun
	}{
		{"store unreachable", func(*testing.T) []string {
			return []string{"--coord", "etcd", "--etcd.endpoints", dead}
		}, "store unreachable, retrying"},
		{"embedded etcd waiting for its database", func(t *testing.T) []string {
			data := filepath.Join(sidecartest.ShortDir(t), "data")
			lockDatabase(t, data) // as a process that is not idcoord would
			return embeddedFlags(t, data)
		}, "Running http and grpc server on single port"},
		{"node name live in another process", func(t *testing.T) []string {
			srv := etcdtest.StartBinary(t)
			flags := []string{"--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0]}
			startNode(t, "starting", flags...).waitReady(30 * time.Second)
			return flags
		}, "node name is live; waiting"},
	}
	for _, ph := range phases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(ph.name+"/"+sig.String(), func(t *testing.T) {
				n := startNode(t, "starting", ph.flags(t)...)
				n.waitLog(ph.when, 30*time.Second)
				n.signal(sig)
				if sig == syscall.SIGINT {
					n.wantExit(130, "^idcoord: interrupted$")
				} else {
					n.wantExit(0)
				}
			})
		}
	}
}

// lockDatabase holds etcd's database lock in data for the test's life.
func lockDatabase(t *testing.T, data string) {
	t.Helper()
	snap := filepath.Join(data, "member", "snap")
	if err := os.MkdirAll(snap, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(snap, "db"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
}

// TestServeStopsQuickly stops an embedded node while another node uses
// its etcd, then the other node, whose store is gone by then. The first
// releases and exits 0 (SIGINT: 130) without waiting for the other's
// streams; the second says in one line that its WorkerId was not released
// and frees itself, and exits 1.
func TestServeStopsQuickly(t *testing.T) {
	endpoint := fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePortPair(t))
	hub := startNode(t, "hub", "--etcd.endpoints", endpoint, "--data-dir", filepath.Join(sidecartest.ShortDir(t), "data"))
	hub.waitReady(30 * time.Second)
	other := startNode(t, "other", "--coord", "etcd", "--etcd.endpoints", endpoint)
	other.waitReady(30 * time.Second)
	hub.signal(syscall.SIGINT)
	hub.wantExit(130, "^idcoord: interrupted$")
	if !strings.Contains(hub.logText(), "stopped; WorkerId released") {
		t.Fatalf("hub did not release its WorkerId; log:\n%s", hub.logText())
	}
	wid := workerOfLog(t, other)
	other.signal(syscall.SIGTERM)
	other.wantExit(1, regexp.QuoteMeta(fmt.Sprintf("idcoord: store unreachable during shutdown: WorkerId %d not released; it frees itself when its lease expires in ≤", wid))+`\d+s$`)
}

// workerOfLog reads the WorkerId a node logged when it started serving.
func workerOfLog(t *testing.T, n *node) int64 {
	t.Helper()
	m := regexp.MustCompile(`serving\t.*"worker-id": (\d+)`).FindStringSubmatch(n.logText())
	if m == nil {
		t.Fatalf("%s logged no WorkerId; log:\n%s", n.name, n.logText())
	}
	var wid int64
	fmt.Sscan(m[1], &wid) //nolint:errcheck // the pattern matched digits
	return wid
}

// TestServeRefusesLiveNodeName starts a second node under the name of a
// live one on etcd: it refuses once the name has outlived a dead holder's
// lease, with the fix in its one line, and the first serves on.
func TestServeRefusesLiveNodeName(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	flags := []string{"--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0], "--cluster", "twins", "--lease.ttl", "2s"}
	first := startNode(t, "web-0", flags...)
	first.waitReady(30 * time.Second)
	twin := startNode(t, "web-0", flags...)
	twin.wantExit(1, `^idcoord: refusing to start: .*node name is live in another process: node.name "web-0": .*leaf_temporary/web-0 .*--node.name$`)
	if code, _ := first.get("/readyz"); code != 200 {
		t.Fatal("the first node was disturbed")
	}
	stopGracefully(t, first)
}
