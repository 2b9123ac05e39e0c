package k8s_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// rbacScript holds the etcdctl commands operators run to give each cluster
// its own etcd user.
const rbacScript = "etcd-rbac.sh"

// shellFunction returns the lines of the body of the shell function name in
// script.
func shellFunction(t *testing.T, script, name string) []string {
	t.Helper()
	var body []string
	in := false
	for line := range strings.Lines(script) {
		line = strings.TrimSpace(line)
		switch {
		case line == name+"() {":
			in = true
		case in && line == "}":
			return body
		case in:
			body = append(body, line)
		}
	}
	t.Fatalf("%s has no function %s", rbacScript, name)
	return nil
}

// shellAssign matches a plain variable assignment, such as role="idcoord-$cluster".
var shellAssign = regexp.MustCompile(`^([a-z_]+)=(\S+)$`)

// replayEtcdctl runs the etcdctl commands of a shell function body through
// the etcd client's auth API, with vars as the shell variables; the
// assignments of the body add to them. Passwords redirected from a file
// ("<$pwfile") are read from that file; an interactive "user add" gets
// interactive. Any other etcdctl command fails the test, so that a change
// to the script is a change to this test too.
func replayEtcdctl(t *testing.T, cli *clientv3.Client, body []string, vars map[string]string, interactive string) {
	t.Helper()
	ctx := t.Context()
	expand := func(s string) string { return os.Expand(s, func(v string) string { return vars[v] }) }
	for _, line := range body {
		if m := shellAssign.FindStringSubmatch(line); m != nil {
			words := shellWords(expand(m[2]))
			if len(words) == 1 {
				vars[m[1]] = words[0]
			}
			continue
		}
		if !strings.HasPrefix(line, "etcdctl ") {
			continue
		}
		input := ""
		if before, file, ok := strings.Cut(line, "<"); ok {
			data, err := os.ReadFile(strings.Trim(expand(file), `" `))
			if err != nil {
				t.Fatal(err)
			}
			input, line = strings.TrimSpace(string(data)), before
		}
		w := shellWords(expand(line))[1:]
		var err error
		switch {
		case len(w) == 3 && w[0] == "role" && w[1] == "add":
			_, err = cli.RoleAdd(ctx, w[2])
		case len(w) == 6 && w[0] == "role" && w[1] == "grant-permission" && w[3] == "--prefix=true" && w[4] == "readwrite":
			_, err = cli.RoleGrantPermission(ctx, w[2], w[5], clientv3.GetPrefixRangeEnd(w[5]), clientv3.PermissionType(clientv3.PermReadWrite))
		case len(w) == 4 && w[0] == "user" && w[1] == "add" && w[3] == "--interactive=false":
			_, err = cli.UserAdd(ctx, w[2], input)
		case len(w) == 3 && w[0] == "user" && w[1] == "add":
			_, err = cli.UserAdd(ctx, w[2], interactive)
		case len(w) == 4 && w[0] == "user" && w[1] == "grant-role":
			_, err = cli.UserGrantRole(ctx, w[2], w[3])
		case len(w) == 2 && w[0] == "auth" && w[1] == "enable":
			_, err = cli.AuthEnable(ctx)
		default:
			t.Fatalf("%s runs %q, which this test does not know how to replay", rbacScript, line)
		}
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		t.Logf("replayed: %s", strings.Join(append([]string{"etcdctl"}, w...), " "))
	}
}

// TestEtcdRBAC replays etcd-rbac.sh against a real etcd, then checks that
// each cluster's user can do everything idcoord does (take a WorkerId,
// raise W, report its clock, list peers, release, which revokes the lease)
// and can reach no other cluster's keys, not even one whose name starts
// with its own.
func TestEtcdRBAC(t *testing.T) {
	script, err := os.ReadFile(rbacScript)
	if err != nil {
		t.Fatal(err)
	}
	srv := etcdtest.StartBinary(t)
	root, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	passwords := map[string]string{}
	addCluster := shellFunction(t, string(script), "add_cluster")
	for _, cluster := range []string{"orders", "orders2"} {
		passwords[cluster] = "pw-" + cluster
		pwfile := filepath.Join(t.TempDir(), cluster+"-etcd-password")
		if err := os.WriteFile(pwfile, []byte(passwords[cluster]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// The script's own pwfile is ./<cluster>-etcd-password; point it at
		// the test's file once the script has set it.
		replayEtcdctl(t, root, rewritePwfile(addCluster, pwfile), map[string]string{"1": cluster}, "")
	}
	replayEtcdctl(t, root, shellFunction(t, string(script), "enable_auth"), map[string]string{}, "root-pw")

	open := func(t *testing.T, user, cluster string) (*etcd.Backend, error) {
		return etcd.New(t.Context(), etcd.Config{
			Endpoints: srv.Endpoints(), Username: "idcoord-" + user, Password: passwords[user],
			Cluster: cluster, TTL: 3 * time.Second, DialTimeout: 3 * time.Second, Logger: zaptest.NewLogger(t),
		})
	}

	t.Run("own cluster", func(t *testing.T) {
		b, err := open(t, "orders", "orders")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		l, err := b.Acquire(ctx, coord.Claim{Node: "orders-0", Admin: "10.0.0.1:7070", MaxWorkerID: 1023, Reserved: []int64{0}})
		if err != nil {
			t.Fatalf("Acquire as idcoord-orders: %v", err)
		}
		if l.WorkerID() != 1 {
			t.Errorf("orders-0 got WorkerId %d, want 1", l.WorkerID())
		}
		w := time.Now().Add(3 * time.Second)
		if err := l.Reserve(ctx, w); err != nil {
			t.Fatalf("Reserve: %v", err)
		}
		if err := l.Report(ctx, coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: l.WorkerID(), Admin: "10.0.0.1:7070"}); err != nil {
			t.Fatalf("Report: %v", err)
		}
		if peers, err := b.Peers(ctx); err != nil || len(peers) != 1 {
			t.Fatalf("Peers = %v, %v; want this node", peers, err)
		}
		if _, ok, err := b.LastReport(ctx, "orders-0"); err != nil || !ok {
			t.Fatalf("LastReport = %v, %v", ok, err)
		}
		if err := l.Release(ctx, w); err != nil {
			t.Fatalf("Release (revokes the lease): %v", err)
		}
	})

	for _, tc := range []struct{ user, cluster string }{
		{"orders", "orders2"},  // a cluster whose name starts with its own
		{"orders", "payments"}, // a cluster with no user
		{"orders2", "orders"},
	} {
		t.Run(tc.user+" in "+tc.cluster, func(t *testing.T) {
			b, err := open(t, tc.user, tc.cluster)
			if err == nil {
				b.Close()
				t.Fatalf("idcoord-%s reached /idcoord/%s/", tc.user, tc.cluster)
			}
			if !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("error %v; want etcd's permission denied", err)
			}
			t.Logf("refused: %v", err)
		})
	}

	t.Run("no password", func(t *testing.T) {
		_, err := etcd.New(t.Context(), etcd.Config{Endpoints: srv.Endpoints(), Cluster: "orders", DialTimeout: 3 * time.Second})
		if err == nil {
			t.Fatal("an anonymous client reached /idcoord/orders/ with auth enabled")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v; want a refusal, not a timeout", err)
		}
		t.Logf("refused: %v", err)
	})
}

// rewritePwfile replaces the password file the script computes with path.
func rewritePwfile(body []string, path string) []string {
	out := make([]string, 0, len(body))
	for _, line := range body {
		if strings.HasPrefix(line, "pwfile=") {
			line = "pwfile=" + path
		}
		out = append(out, line)
	}
	return out
}
