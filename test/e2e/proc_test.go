package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// node is one `idcoord serve` process; its output goes to a log file
// beside its socket.
type node struct {
	t       *testing.T
	name    string
	socket  string
	admin   string
	logPath string
	proc    *testproc.Process
}

// startNode starts `idcoord serve` with a socket and an admin port of its
// own, plus extra flags. It does not wait for readiness.
func startNode(t *testing.T, name string, extra ...string) *node {
	t.Helper()
	dir := sidecartest.ShortDir(t)
	n := &node{
		t:       t,
		name:    name,
		socket:  filepath.Join(dir, "run", "idcoord.sock"),
		admin:   fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePort(t)),
		logPath: filepath.Join(dir, "node.log"),
	}
	args := append([]string{"serve", "--node.name", name, "--socket", n.socket, "--admin.addr", n.admin,
		"--log.format", "console", "--log.level", "info"}, extra...)
	p, err := testproc.Start(testproc.Command{Bin: idcoordBin, Args: args, LogPath: n.logPath})
	if err != nil {
		t.Fatal(err)
	}
	n.proc = p
	t.Cleanup(func() {
		n.proc.Kill()
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.name, n.logText())
		}
	})
	return n
}

// logText is what the node has written to stdout and stderr so far.
func (n *node) logText() string { return n.proc.LogSince() }

func (n *node) signal(sig syscall.Signal) { n.proc.Signal(sig) }

// wait waits for the process to exit and returns its exit code.
func (n *node) wait(timeout time.Duration) int {
	n.t.Helper()
	select {
	case <-n.proc.Done():
	case <-time.After(timeout):
		n.t.Fatalf("%s did not exit within %s; log:\n%s", n.name, timeout, n.logText())
	}
	return n.proc.ExitCode()
}

// waitReady waits until /readyz answers 200, failing the test if the node
// exits first or timeout passes.
func (n *node) waitReady(timeout time.Duration) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	readyWithin(ctx, n)
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
