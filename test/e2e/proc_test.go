package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// node is one `idcoord serve` process.
type node struct {
	t      *testing.T
	name   string
	socket string
	admin  string
	args   []string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shortDir returns a temp folder short enough for Unix socket paths.
func shortDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ic")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// freePort returns a loopback port that is free now; with pair, the next
// port is free too (the embedded etcd's peer port).
func freePort(t *testing.T, pair bool) int {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !pair {
			l.Close()
			return port
		}
		next, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
		l.Close()
		if err == nil {
			next.Close()
			return port
		}
	}
	t.Fatal("no free port pair")
	return 0
}

// startNode starts `idcoord serve` with a socket and an admin port of its
// own, plus extra flags. It does not wait for readiness.
func startNode(t *testing.T, name string, extra ...string) *node {
	t.Helper()
	dir := shortDir(t)
	n := &node{
		t:      t,
		name:   name,
		socket: filepath.Join(dir, "run", "idcoord.sock"),
		admin:  fmt.Sprintf("127.0.0.1:%d", freePort(t, false)),
	}
	n.args = append([]string{"serve", "--node.name", name, "--socket", n.socket, "--admin.addr", n.admin,
		"--log.format", "console", "--log.level", "info"}, extra...)
	n.start()
	t.Cleanup(func() {
		n.signal(syscall.SIGKILL)
		<-n.exited
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.name, n.log.String())
		}
	})
	return n
}

func (n *node) start() {
	n.cmd = exec.Command(idcoordBin, n.args...)
	n.log = &syncBuffer{}
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	n.exited = make(chan struct{})
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	go func() {
		n.err = n.cmd.Wait()
		close(n.exited)
	}()
}

func (n *node) signal(sig syscall.Signal) { n.cmd.Process.Signal(sig) } //nolint:errcheck // may have exited

// wait waits for the process to exit and returns its exit code.
func (n *node) wait(timeout time.Duration) int {
	n.t.Helper()
	select {
	case <-n.exited:
	case <-time.After(timeout):
		n.t.Fatalf("%s did not exit within %s; log:\n%s", n.name, timeout, n.log.String())
	}
	return n.cmd.ProcessState.ExitCode()
}

// waitReady waits until /readyz answers 200.
func (n *node) waitReady(timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if code, _ := n.get("/readyz"); code == http.StatusOK {
			return
		}
		select {
		case <-n.exited:
			n.t.Fatalf("%s exited before it was ready (%v); log:\n%s", n.name, n.err, n.log.String())
		default:
		}
		if time.Now().After(deadline) {
			_, body := n.get("/readyz")
			n.t.Fatalf("%s not ready after %s: %s; log:\n%s", n.name, timeout, body, n.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get fetches an admin path.
func (n *node) get(path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.admin+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body) //nolint:errcheck
	return resp.StatusCode, b.String()
}

// cli runs an idcoord command and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(idcoordBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
