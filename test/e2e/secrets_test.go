package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// TestSecretsNeverShown runs idcoord against an etcd with TLS client
// certificates and user auth, its password in a file, and a ZooKeeper with
// digest auth, and looks for the secrets in everything idcoord says: the
// serve log at debug level, every admin endpoint, the socket, print-config
// in each format, lease ls and show, clock, and the errors of a start with
// a wrong password.
func TestSecretsNeverShown(t *testing.T) {
	const (
		etcdPassword = "etcd-Pw-4f9QzX"
		zkPassword   = "zk-Pw-8sLwR2"
		wrongPass    = "wrong-Pw-77AqE"
	)
	secrets := []string{etcdPassword, zkPassword, wrongPass}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	srv := etcdtest.StartSecure(t, etcdtest.NewCerts(t))
	admin, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), TLS: srv.Certs().ClientTLS(t, true), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := etcdtest.AddClusterUser(ctx, admin, "sec", etcdPassword); err != nil {
		t.Fatal(err)
	}
	if err := etcdtest.EnableAuth(ctx, admin, "root-Pw-unused"); err != nil {
		t.Fatal(err)
	}
	c := srv.Certs()
	etcdArgs := func(pwfile string) []string {
		return []string{"--coord", "etcd", "--etcd.endpoints", srv.Endpoints()[0], "--cluster", "sec",
			"--etcd.username", "idcoord-sec", "--etcd.password-file", pwfile,
			"--etcd.ca-file", c.CAFile, "--etcd.cert-file", c.ClientCert, "--etcd.key-file", c.ClientKey,
			"--worker.reserved", "0"}
	}
	pwfile := write("etcd-password", etcdPassword+"\n")
	zk := zktest.Start(t)
	zkArgs := []string{"--coord", "zk", "--zk.servers", zk.Addr(), "--cluster", "sec", "--zk.mode", "ephemeral",
		"--zk.auth-file", write("zk-auth", "idcoord-sec:"+zkPassword+"\n")}

	var seen []string // every text idcoord produced, labelled
	record := func(what, text string) { seen = append(seen, what+"\x00"+text) }

	// serve on each store, at debug level, then everything it answers.
	for _, store := range []struct {
		name string
		args []string
	}{{"etcd", etcdArgs(pwfile)}, {"zk", zkArgs}} {
		n := startNode(t, "sec-"+store.name, append(store.args, "--log.level", "debug", "--log.format", "json")...)
		n.waitReady(30 * time.Second)
		for _, path := range []string{"/status", "/metrics", "/healthz", "/readyz", "/clock"} {
			code, body := n.get(path)
			record(store.name+" GET "+path, body)
			if code != 200 {
				t.Errorf("%s GET %s: %d %s", store.name, path, code, body)
			}
		}
		code, out, errOut := cli(t, "next", "-n", "3", "--socket", n.socket)
		record(store.name+" next", out+errOut)
		if code != 0 {
			t.Errorf("idcoord next: exit %d: %s", code, errOut)
		}
		for _, args := range [][]string{{"lease", "ls"}, {"lease", "ls", "-o", "json"}, {"lease", "show", "sec-" + store.name},
			{"clock"}, {"print-config"}, {"print-config", "-o", "json"}, {"print-config", "-o", "yaml"}} {
			code, out, errOut := cli(t, append(args, store.args...)...)
			record(store.name+" "+strings.Join(args, " "), out+errOut)
			if code != 0 {
				t.Errorf("idcoord %s (%s): exit %d: %s", strings.Join(args, " "), store.name, code, errOut)
			}
		}
		n.signal(15)
		if code := n.wait(20 * time.Second); code != 0 {
			t.Errorf("%s serve exited %d", store.name, code)
		}
		record(store.name+" serve log", n.logText())
	}

	// A start with the wrong password fails at once with a clear reason.
	start := time.Now()
	code, out, errOut := cli(t, append([]string{"serve", "--node.name", "sec-wrong", "--socket", filepath.Join(sidecartest.ShortDir(t), "s.sock"),
		"--admin.addr", "127.0.0.1:0", "--log.level", "debug"}, etcdArgs(write("wrong", wrongPass))...)...)
	record("serve with a wrong password", out+errOut)
	if code == 0 || !strings.Contains(errOut, "authentication failed") {
		t.Errorf("serve with a wrong password: exit %d, stderr %q; want a refusal naming etcd's authentication failure", code, errOut)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("serve with a wrong password took %v to give up; want a refusal, not retries", took)
	}
	t.Logf("wrong password: exit %d: %s", code, lastLine(errOut))

	total := 0
	for _, s := range seen {
		what, text, _ := strings.Cut(s, "\x00")
		total += len(text)
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows a secret:\n%s", what, text)
			}
		}
	}
	t.Logf("%d outputs, %d bytes, checked for %d secrets", len(seen), total, len(secrets))
}

func lastLine(s string) string {
	l := lines(s)
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}
