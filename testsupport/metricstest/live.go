package metricstest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Tag is the segment tag Live creates and loads.
const Tag = "orders"

// Exported is what live nodes export: the names of their series, of
// their metric families (a histogram's name without _bucket, _sum and
// _count), and the /metrics text they were read from, for failure
// messages.
type Exported struct {
	Names    map[string]bool
	Families map[string]bool
	Text     string
}

// Live builds idcoord, starts an etcd server and two `idcoord serve`
// nodes on it, drives them until every kind of series exists (see the
// package doc), and returns the series names of both nodes' /metrics.
func Live(tb testing.TB) Exported {
	tb.Helper()
	dir := sidecartest.ShortDir(tb)
	bin := build(tb, dir)
	endpoint := etcdtest.StartBinary(tb).ClientAddr()
	store := []string{"--coord", "etcd", "--etcd.endpoints", endpoint, "--cluster", "metrics"}

	create := exec.Command(bin, append([]string{"segment", "create", Tag, "--step", "100"}, store...)...)
	if out, err := create.CombinedOutput(); err != nil {
		tb.Fatalf("idcoord segment create: %v\n%s", err, out)
	}
	first := start(tb, bin, dir, "metrics-0", store)
	first.waitReady(tb)
	// The second node's start-up check measures the first one's clock: its
	// /metrics has a per-peer offset.
	second := start(tb, bin, dir, "metrics-1", store)
	second.waitReady(tb)
	for _, n := range []*node{first, second} {
		n.request(tb, "3\n")
		n.request(tb, "3 "+Tag+"\n")
		n.get(tb, n.socketClient(), "http://idcoord/id")
		n.get(tb, n.socketClient(), "http://idcoord/segment/"+Tag+"?count=2")
		n.get(tb, http.DefaultClient, "http://"+n.leaf+"/api/segment/get/"+Tag)
		n.get(tb, http.DefaultClient, "http://"+n.leaf+"/api/snowflake/get/any")
	}
	var text strings.Builder
	for _, n := range []*node{first, second} {
		text.WriteString(n.get(tb, http.DefaultClient, "http://"+n.admin+"/metrics"))
	}
	http.DefaultClient.CloseIdleConnections()
	return Exported{Names: seriesNames(text.String()), Families: familyNames(text.String()), Text: text.String()}
}

// build compiles ./cmd/idcoord into dir with the release build's settings
// (`make build`), so that it reuses what `make lint` compiled.
func build(tb testing.TB, dir string) string {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	bin := filepath.Join(dir, "idcoord")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/idcoord")
	cmd.Dir = filepath.Join(filepath.Dir(here), "..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building idcoord: %v\n%s", err, out)
	}
	return bin
}

// node is one `idcoord serve` process.
type node struct {
	name, socket, admin, leaf string
	proc                      *testproc.Process
}

func start(tb testing.TB, bin, dir, name string, store []string) *node {
	tb.Helper()
	n := &node{
		name:   name,
		socket: filepath.Join(dir, name+".sock"),
		admin:  fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePort(tb)),
		leaf:   fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePort(tb)),
	}
	args := append([]string{"serve", "--node.name", name, "--socket", n.socket, "--admin.addr", n.admin, "--leaf.addr", n.leaf,
		"--data-dir", filepath.Join(dir, name), "--log.format", "console"}, store...)
	p, err := testproc.Start(testproc.Command{Bin: bin, Args: args, LogPath: filepath.Join(dir, name+".log")})
	if err != nil {
		tb.Fatal(err)
	}
	n.proc = p
	tb.Cleanup(func() {
		p.Stop(5 * time.Second)
		if tb.Failed() {
			tb.Logf("log of %s:\n%s", name, p.LogSince())
		}
	})
	return n
}

// waitReady waits until /readyz answers 200; a node that exits first
// fails tb at once.
func (n *node) waitReady(tb testing.TB) {
	tb.Helper()
	testproc.Eventually(tb, n.name+" ready", func() bool {
		if n.proc.Exited() {
			tb.Fatalf("%s exited before it was ready (%s); log:\n%s", n.name, n.proc.ExitStatus(), n.proc.LogSince())
		}
		resp, err := http.Get("http://" + n.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// request sends one line-protocol request and checks that IDs came back.
func (n *node) request(tb testing.TB, line string) {
	tb.Helper()
	c, err := net.Dial("unix", n.socket)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // a fresh connection
	if _, err := io.WriteString(c, line); err != nil {
		tb.Fatal(err)
	}
	answer, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.HasPrefix(answer, "ERR") {
		tb.Fatalf("%s: %q answered %q, %v", n.name, line, answer, err)
	}
}

// socketClient is an HTTP client that talks to n's socket.
func (n *node) socketClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", n.socket)
		},
	}}
}

// get fetches url with client and returns the body of a 200 answer.
func (n *node) get(tb testing.TB, client *http.Client, url string) string {
	tb.Helper()
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatalf("%s: GET %s: %v", n.name, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s: GET %s: %s %v\n%s", n.name, url, resp.Status, err, body)
	}
	return string(body)
}

// seriesNames returns the names of the series in a /metrics text: the
// first word of every line that is not a comment.
func seriesNames(text string) map[string]bool {
	names := map[string]bool{}
	for _, line := range bytes.Split([]byte(text), []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		end := bytes.IndexAny(line, "{ ")
		if end < 0 {
			end = len(line)
		}
		names[string(line[:end])] = true
	}
	return names
}

// familyNames returns the names of the metric families in a /metrics text,
// from its "# TYPE name type" lines.
func familyNames(text string) map[string]bool {
	names := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
		}
	}
	return names
}
