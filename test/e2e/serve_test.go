package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// curlID asks the node's socket for IDs with curl, as the README shows.
func curlIDs(t *testing.T, n *node, path string, header ...string) string {
	t.Helper()
	testproc.Require(t, "curl")
	args := []string{"-sS", "--fail-with-body", "--unix-socket", n.socket}
	for _, h := range header {
		args = append(args, "-H", h)
	}
	out, err := exec.Command("curl", append(args, "http://localhost"+path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v: %s", path, err, out)
	}
	return string(out)
}

// lineIDs asks the node's socket for count IDs with the line protocol.
func lineIDs(t *testing.T, n *node, count int) []int64 {
	t.Helper()
	c, err := net.Dial("unix", n.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%d\n", count)
	c.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return parseIDs(t, strings.Fields(line))
}

func parseIDs(t *testing.T, fields []string) []int64 {
	t.Helper()
	ids := make([]int64, len(fields))
	for i, f := range fields {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			t.Fatalf("not an ID: %q", f)
		}
		ids[i] = id
	}
	return ids
}

func increasing(ids []int64) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			return false
		}
	}
	return true
}

func workerOf(t *testing.T, n *node) int64 {
	t.Helper()
	_, body := n.get("/status")
	var st struct {
		WorkerID int64 `json:"worker_id"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("/status: %v: %s", err, body)
	}
	return st.WorkerID
}

// stopGracefully sends SIGTERM and checks the exit code and that the socket
// is gone.
func stopGracefully(t *testing.T, n *node) {
	t.Helper()
	n.signal(syscall.SIGTERM)
	if code := n.wait(20 * time.Second); code != 0 {
		t.Fatalf("%s exited %d after SIGTERM; log:\n%s", n.name, code, n.logText())
	}
	if _, err := os.Lstat(n.socket); !os.IsNotExist(err) {
		t.Fatalf("socket %s still there after SIGTERM: %v", n.socket, err)
	}
}

func TestServeEmbeddedDefault(t *testing.T) {
	data := filepath.Join(sidecartest.ShortDir(t), "data")
	endpoint := fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePortPair(t))
	flags := []string{"--etcd.endpoints", endpoint, "--data-dir", data} // coord defaults to embedded
	n := startNode(t, "solo-0", flags...)
	n.waitReady(30 * time.Second)

	one := parseIDs(t, lines(curlIDs(t, n, "/id")))
	var batch struct{ IDs []string }
	if err := json.Unmarshal([]byte(curlIDs(t, n, "/ids?count=5", "Accept: application/json")), &batch); err != nil || len(batch.IDs) != 5 {
		t.Fatalf("JSON batch: %v %+v", err, batch)
	}
	viaLine := lineIDs(t, n, 3)
	all := append(append(one, parseIDs(t, batch.IDs)...), viaLine...)
	for _, proto := range [][]string{nil, {"--http"}} {
		code, stdout, stderr := cli(t, append([]string{"next", "-n", "25", "--socket", n.socket}, proto...)...)
		if code != 0 {
			t.Fatalf("idcoord next %v: exit %d: %s", proto, code, stderr)
		}
		got := parseIDs(t, lines(stdout))
		if len(got) != 25 {
			t.Fatalf("idcoord next -n 25 %v printed %d IDs", proto, len(got))
		}
		all = append(all, got...)
	}
	if !increasing(all) {
		t.Fatalf("IDs not increasing: %v", all)
	}
	if fi, err := os.Stat(n.socket); err != nil || fi.Mode().Perm() != 0o660 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %v: %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(n.socket)); err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("socket folder %v: %v", fi.Mode(), err)
	}
	wid := workerOf(t, n)
	if wid != 1 {
		t.Fatalf("solo-0 got WorkerId %d, want its ordinal's 1", wid)
	}
	// The admin listener's / is the web console, fed by the node and the store.
	if code, page := n.get("/"); code != 200 || !strings.Contains(page, `id="worker-id">1</div>`) ||
		!strings.Contains(page, "<td>solo-0</td>") || !strings.Contains(page, "IDs/s") {
		t.Fatalf("GET / answered %d without the WorkerId, the node's row and the charts:\n%s", code, page)
	}
	stopGracefully(t, n)

	again := startNode(t, "solo-0", flags...)
	again.waitReady(30 * time.Second)
	if got := workerOf(t, again); got != wid {
		t.Fatalf("after a restart WorkerId %d, want %d", got, wid)
	}
	if next := lineIDs(t, again, 1); next[0] <= all[len(all)-1] {
		t.Fatalf("after restart id %d <= %d", next[0], all[len(all)-1])
	}
	stopGracefully(t, again)
}

func TestServeEtcdBinaryReleasesOnSIGTERM(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	n := startNode(t, "api", "--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0], "--cluster", "e2e")
	n.waitReady(30 * time.Second)
	ids := lineIDs(t, n, 1000)
	ids = append(ids, parseIDs(t, lines(curlIDs(t, n, "/ids?count=10")))...)
	code, stdout, stderr := cli(t, "next", "-n", "10", "--socket", n.socket)
	if code != 0 {
		t.Fatalf("idcoord next: exit %d: %s", code, stderr)
	}
	ids = append(ids, parseIDs(t, lines(stdout))...)
	if len(ids) != 1020 || !increasing(ids) {
		t.Fatalf("got %d IDs, increasing %v", len(ids), increasing(ids))
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	count := func(prefix string) int64 {
		resp, err := cli.Get(context.Background(), "/idcoord/e2e/"+prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		return resp.Count
	}
	if count("workers/") != 1 || count("leaf_temporary/") != 1 {
		t.Fatalf("while serving: %d workers, %d peers", count("workers/"), count("leaf_temporary/"))
	}
	stopGracefully(t, n)
	if count("workers/") != 0 || count("leaf_temporary/") != 0 {
		t.Fatalf("after SIGTERM: %d workers, %d peers still held", count("workers/"), count("leaf_temporary/"))
	}
	if count("hw/") != 1 || count("leaf_forever/") != 1 {
		t.Fatalf("after SIGTERM: W and the clock report must stay: %d hw, %d leaf_forever", count("hw/"), count("leaf_forever/"))
	}
}

func TestServeRefusesToStart(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	live := startNode(t, "first", "--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0])
	live.waitReady(30 * time.Second)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"socket served by a live node", []string{"serve", "--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0],
			"--socket", live.socket, "--admin.addr", "127.0.0.1:0", "--log.level", "error"}, "live"},
		{"unknown preset", []string{"serve", "--layout.preset", "nope"}, "nope"},
		{"lifetime ended", []string{"serve", "--layout.preset", "uidgenerator"}, "ended"},
		{"abstract socket", []string{"serve", "--socket", "@idcoord"}, "@idcoord"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(t, tt.args...)
			l := lines(stderr)
			if code == 0 || len(l) == 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			last := l[len(l)-1]
			if !strings.HasPrefix(last, "idcoord: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("last stderr line %q does not give the reason (%q)", last, tt.want)
			}
			t.Logf("exit %d: %s", code, last)
		})
	}
	if code, _ := live.get("/readyz"); code != 200 {
		t.Fatal("the live node was disturbed by the refused starts")
	}
}
