package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/coord/store"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

var claim = coord.Claim{Node: "web-0", Admin: "10.0.0.1:7070", MaxWorkerID: 1023, Reserved: []int64{0}}

// files writes each file of contents (name: content) into one new folder
// of the test, and returns their paths by name.
func files(t *testing.T, contents map[string]string) map[string]string {
	t.Helper()
	dir, paths := t.TempDir(), make(map[string]string, len(contents))
	for name, content := range contents {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// TestFiles: a file that cannot be used is an error at once, from Open as
// from Dial, that names the key and the file and never the secret.
func TestFiles(t *testing.T) {
	const secret = "s3cret-Pw"
	missing := filepath.Join(t.TempDir(), "missing")
	f := files(t, map[string]string{"ca.pem": secret, "pw": "\n", "auth": secret + "\n"})
	notPEM, empty := f["ca.pem"], f["pw"]
	tests := []struct {
		name string
		edit func(*store.Config)
		want string
	}{
		{"missing password file", func(c *store.Config) { c.Etcd.PasswordFile = missing },
			"etcd.password-file: open " + missing + ": no such file or directory"},
		{"empty password file", func(c *store.Config) { c.Etcd.PasswordFile = empty }, "etcd.password-file: " + empty + " is empty"},
		{"missing CA file", func(c *store.Config) { c.Etcd.CAFile = missing }, "etcd.ca-file: open " + missing},
		{"CA file without PEM", func(c *store.Config) { c.Etcd.CAFile = notPEM }, "etcd.ca-file: " + notPEM + " holds no PEM certificate"},
		{"bad key pair", func(c *store.Config) { c.Etcd.CertFile, c.Etcd.KeyFile = notPEM, notPEM }, "etcd.cert-file/etcd.key-file: "},
		{"missing auth file", func(c *store.Config) { c.Kind, c.ZK.AuthFile = store.KindZooKeeper, missing },
			"zk.auth-file: open " + missing},
		{"auth file without user:password", func(c *store.Config) { c.Kind, c.ZK.AuthFile = store.KindZooKeeper, f["auth"] },
			"must hold one line user:password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := store.Config{Kind: store.KindEtcd, Etcd: store.EtcdConfig{Endpoints: []string{"127.0.0.1:1"}},
				ZK: store.ZKConfig{Servers: []string{"127.0.0.1:1"}}}
			tt.edit(&c)
			_, derr := store.Dial(t.Context(), c)
			start := time.Now()
			_, oerr := store.Open(t.Context(), c)
			for _, err := range []error{derr, oerr} {
				if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), secret) {
					t.Fatalf("error %v, want one holding %q, without the secret", err, tt.want)
				}
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("Open retried a file error for %s", took)
			}
		})
	}
}

// TestEmbedded: Open starts the embedded etcd and connects to it; a second
// Open on the same data dir fails at once, in the words idcoord has always
// used; Dial connects to the running member as a client.
func TestEmbedded(t *testing.T) {
	ctx := testproc.Context(t)
	log, _ := testLogs(t)
	dir := filepath.Join(t.TempDir(), "data")
	cfg := store.Config{Kind: store.KindEmbedded, Cluster: "embedded", DataDir: dir,
		Etcd: store.EtcdConfig{Endpoints: []string{embeddedAddr(t)}}, Logger: log}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := st.Backend()
	defer b.Close()
	l, err := b.Acquire(ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	if l.WorkerID() != 1 {
		t.Fatalf("WorkerId %d, want 1", l.WorkerID())
	}

	other := cfg
	other.Etcd.Endpoints = []string{embeddedAddr(t)}
	_, err = store.Open(ctx, other)
	want := "data-dir " + dir + " is in use by another idcoord (this process); stop it or choose another --data-dir"
	if err == nil || err.Error() != want || !errors.Is(err, etcd.ErrDataDirInUse) {
		t.Fatalf("a second Open on %s: %v; want %q matching etcd.ErrDataDirInUse", dir, err, want)
	}

	client, err := store.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial to the running member: %v", err)
	}
	defer client.Close()
	peers, err := client.Peers(ctx)
	if err != nil || len(peers) != 1 || peers[0].Node != claim.Node {
		t.Fatalf("Peers through Dial = %v, %v; want %s", peers, err, claim.Node)
	}
	if err := l.Release(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestOpenWaitsForTheStore: Open retries a store that does not answer yet,
// and connects once it does; a store that never answers is given up on
// after StartTimeout.
func TestOpenWaitsForTheStore(t *testing.T) {
	ctx := testproc.Context(t)
	addr := embeddedAddr(t)
	log, logs := testLogs(t)
	type result struct {
		st  *store.Store
		err error
	}
	opened := make(chan result, 1)
	go func() {
		st, err := store.Open(ctx, store.Config{Kind: store.KindEtcd, Cluster: "late", StartTimeout: time.Until(deadline(ctx)),
			Etcd: store.EtcdConfig{Endpoints: []string{addr}}, Logger: log})
		opened <- result{st, err}
	}()
	waitLogged(t, logs, "store unreachable, retrying", time.Until(deadline(ctx)))
	member, err := etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{DataDir: t.TempDir(), ClientAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	r := <-opened
	if r.err != nil {
		t.Fatalf("Open once the store answers: %v", r.err)
	}
	r.st.Backend().Close()
	r.st.Close()

	start := time.Now()
	_, err = store.Open(ctx, store.Config{Kind: store.KindEtcd, StartTimeout: time.Second,
		Etcd: store.EtcdConfig{Endpoints: []string{embeddedAddr(t)}}, Logger: log})
	if !errors.Is(err, coord.ErrUnreachable) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open of a store that never answers: %v", err)
	}
	if took := time.Since(start); took < time.Second {
		t.Fatalf("gave up after %s, before StartTimeout", took)
	}
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// TestSecureEtcd: TLS files and credentials files reach an etcd that
// demands a client certificate and a password; a wrong password is refused
// without being named; TLS never skips verifying the server.
func TestSecureEtcd(t *testing.T) {
	srv := etcdtest.StartSecure(t, etcdtest.NewCerts(t))
	certs := srv.Certs()
	ctx := testproc.Context(t)
	admin, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), TLS: certs.ClientTLS(t, true), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	const password = "pw-orders-7Qx"
	if err := etcdtest.AddClusterUser(ctx, admin, "orders", password); err != nil {
		t.Fatal(err)
	}
	if err := etcdtest.EnableAuth(ctx, admin, "root-pw-9Lm"); err != nil {
		t.Fatal(err)
	}
	const wrong = "not-the-Password"
	f := files(t, map[string]string{"pw": password + "\n", "wrong": wrong})
	log, _ := testLogs(t)
	cfg := store.Config{Kind: store.KindEtcd, Cluster: "orders", Logger: log, StartTimeout: time.Until(deadline(ctx)),
		Etcd: store.EtcdConfig{Endpoints: srv.Endpoints(), Username: "idcoord-orders", PasswordFile: f["pw"],
			CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}}

	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open over TLS as idcoord-orders: %v", err)
	}
	defer st.Close()
	defer st.Backend().Close()
	if _, err := st.Backend().Acquire(ctx, claim); err != nil {
		t.Fatalf("Acquire over TLS as idcoord-orders: %v", err)
	}

	bad := cfg
	bad.Etcd.PasswordFile = f["wrong"]
	_, err = store.Open(ctx, bad)
	if !errors.Is(err, coord.ErrDenied) || strings.Contains(err.Error(), wrong) {
		t.Fatalf("Open with a wrong password: %v; want coord.ErrDenied, without the password", err)
	}

	// Without the CA file the system's roots are used, and they do not
	// trust the test CA: the server is never taken on trust.
	untrusted := cfg
	untrusted.Etcd.CAFile = ""
	if b, err := store.Dial(ctx, untrusted); err == nil {
		b.Close()
		t.Fatal("Dial trusted a server that no CA it knows signed")
	}
}

// TestZooKeeper: the auth file's user:password is the digest of every
// session and of the ACL of the znodes the backend creates.
func TestZooKeeper(t *testing.T) {
	srv := zktest.Start(t)
	ctx := testproc.Context(t)
	log, _ := testLogs(t)
	st, err := store.Open(ctx, store.Config{Kind: store.KindZooKeeper, Cluster: "zk", Logger: log, StartTimeout: time.Until(deadline(ctx)),
		ZK: store.ZKConfig{Servers: []string{srv.Addr()}, Identity: "10.0.0.1:7070", AuthFile: files(t, map[string]string{"auth": "idc:pw-5Hq\n"})["auth"]}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := st.Backend()
	defer b.Close()
	if _, ok := b.(*zkcoord.Backend); !ok {
		t.Fatalf("Backend is a %T, want a *zkcoord.Backend", b)
	}
	l, err := b.Acquire(ctx, claim)
	if err != nil {
		t.Fatal(err)
	}
	acl, _, err := zktest.Dial(t, srv.Addr(), 10*time.Second).GetACL("/idcoord/zk")
	if err != nil {
		t.Fatal(err)
	}
	// The server shows a digest to a client without it as "user:x".
	want := []gozk.ACL{{Perms: gozk.PermAll, Scheme: "digest", ID: "idc:x"}, {Perms: gozk.PermRead, Scheme: "world", ID: "anyone"}}
	if len(acl) != len(want) || acl[0] != want[0] || acl[1] != want[1] {
		t.Fatalf("ACL of /idcoord/zk %v, want %v", acl, want)
	}
	if err := l.Release(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
}
