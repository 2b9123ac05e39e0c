package etcd_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// secureEtcd is a TLS etcd with client-certificate auth and user auth on:
// clusters "orders" and "payments" each have their own user and role, as
// configs/k8s/etcd-rbac.sh sets them up.
type secureEtcd struct {
	srv       *etcdtest.SecureServer
	passwords map[string]string // cluster -> password of idcoord-<cluster>
}

func startSecureEtcd(t *testing.T) *secureEtcd {
	t.Helper()
	srv := etcdtest.StartSecure(t, etcdtest.NewCerts(t))
	admin, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), TLS: srv.Certs().ClientTLS(t, true),
		DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := testproc.Context(t)
	s := &secureEtcd{srv: srv, passwords: map[string]string{"orders": "pw-orders-7Qx", "payments": "pw-payments-3Zk"}}
	for cluster, pw := range s.passwords {
		if err := etcdtest.AddClusterUser(ctx, admin, cluster, pw); err != nil {
			t.Fatal(err)
		}
	}
	if err := etcdtest.EnableAuth(ctx, admin, "root-pw-9Lm"); err != nil {
		t.Fatal(err)
	}
	return s
}

// config is a backend config for cluster as user idcoord-<user>, over TLS
// with the trusted client certificate. An empty user means no credentials.
// The TTL and dial timeout are long: etcd checks passwords with bcrypt,
// which a busy machine makes slow, and refusals come at once anyway.
func (s *secureEtcd) config(t *testing.T, user, cluster string) etcd.Config {
	c := etcd.Config{Endpoints: s.srv.Endpoints(), TLS: s.srv.Certs().ClientTLS(t, true), Cluster: cluster,
		TTL: 10 * time.Second, DialTimeout: 15 * time.Second,
		Logger: coordtest.Logger(t, zap.WarnLevel)}
	if user != "" {
		c.Username, c.Password = "idcoord-"+user, s.passwords[user]
	}
	return c
}

// rawAs is a plain client logged in as idcoord-<user>, not namespaced.
func (s *secureEtcd) rawAs(t *testing.T, user string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: s.srv.Endpoints(), TLS: s.srv.Certs().ClientTLS(t, true),
		Username: "idcoord-" + user, Password: s.passwords[user], DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// TestSecureEtcd runs idcoord's backend against an etcd that demands TLS
// client certificates and user auth, with one role per cluster.
func TestSecureEtcd(t *testing.T) {
	s := startSecureEtcd(t)
	ctx := testproc.Context(t)

	// A node of "orders" with the orders role does everything idcoord
	// does, and keeps its WorkerId while the other cases run.
	orders, err := etcd.New(ctx, s.config(t, "orders", "orders"))
	if err != nil {
		t.Fatalf("idcoord-orders on its own cluster over TLS: %v", err)
	}
	defer orders.Close()
	claim := coord.Claim{Node: "orders-1", Admin: "10.0.0.1:7070", MaxWorkerID: 1023, Reserved: []int64{0}}
	l, err := orders.Acquire(ctx, claim)
	if err != nil {
		t.Fatalf("Acquire as idcoord-orders: %v", err)
	}
	w := time.Now().Add(3 * time.Second)
	if err := l.Reserve(ctx, w); err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	if err := l.Report(ctx, coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: l.WorkerID(), Admin: claim.Admin}); err != nil {
		t.Fatalf("Report: %v", err)
	}
	if peers, err := orders.Peers(ctx); err != nil || len(peers) != 1 {
		t.Fatalf("Peers = %v, %v; want this node", peers, err)
	}
	t.Logf("orders-1 holds WorkerId %d over TLS as idcoord-orders", l.WorkerID())

	t.Run("another cluster's role cannot use this cluster", func(t *testing.T) {
		_, err := etcd.New(ctx, s.config(t, "payments", "orders"))
		checkDenied(t, "idcoord-payments opening cluster orders", err)

		// The payments node works in its own cluster, and its raw client
		// can neither read, write, delete nor revoke anything of orders.
		own, err := etcd.New(ctx, s.config(t, "payments", "payments"))
		if err != nil {
			t.Fatalf("idcoord-payments on its own cluster: %v", err)
		}
		defer own.Close()
		pl, err := own.Acquire(ctx, coord.Claim{Node: "payments-1", Admin: "10.0.0.2:7070", MaxWorkerID: 1023, Reserved: []int64{0}})
		if err != nil {
			t.Fatalf("Acquire as idcoord-payments in payments: %v", err)
		}
		defer pl.Release(context.WithoutCancel(ctx), time.Now()) //nolint:errcheck // cleanup

		ordersKeys := s.rawAs(t, "orders")
		held, err := ordersKeys.Get(ctx, etcd.Prefix("orders")+"workers/", clientv3.WithPrefix())
		if err != nil || len(held.Kvs) != 1 {
			t.Fatalf("orders reading its own workers/: %v, %v", held, err)
		}
		ordersLease := clientv3.LeaseID(held.Kvs[0].Lease)

		pay := s.rawAs(t, "payments")
		hw := etcd.Prefix("orders") + "hw/" + strconv.FormatInt(l.WorkerID(), 10)
		steps := []struct {
			what string
			do   func() error
		}{
			{"get " + hw, func() error { _, err := pay.Get(ctx, hw); return err }},
			{"list /idcoord/orders/", func() error { _, err := pay.Get(ctx, etcd.Prefix("orders"), clientv3.WithPrefix()); return err }},
			{"put " + hw, func() error { _, err := pay.Put(ctx, hw, `{"w_unix_ms":1}`); return err }},
			{"delete workers/", func() error {
				_, err := pay.Delete(ctx, etcd.Prefix("orders")+"workers/", clientv3.WithPrefix())
				return err
			}},
			{"revoke the orders lease", func() error { _, err := pay.Revoke(ctx, ordersLease); return err }},
		}
		// etcd before 3.4.26 and 3.5.9 answers LeaseTimeToLive with the
		// attached key names to any user (CVE-2023-32082): key names, not
		// values. Fixed servers refuse it.
		if _, err := pay.TimeToLive(ctx, ordersLease, clientv3.WithAttachedKeys()); err == nil {
			st, serr := pay.Status(ctx, s.srv.Endpoints()[0])
			if serr != nil || !leaseKeysLeak(st.Version) {
				t.Errorf("idcoord-payments could list the keys of the orders lease on etcd %v (%v)", st, serr)
			} else {
				t.Logf("etcd %s lets another user list the key names of a lease (CVE-2023-32082, fixed in 3.4.26 and 3.5.9)", st.Version)
			}
		} else if !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("idcoord-payments reading the orders lease: %v; want etcd's permission denied", err)
		}
		for _, st := range steps {
			err := st.do()
			if err == nil {
				t.Errorf("idcoord-payments could %s", st.what)
				continue
			}
			if !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("idcoord-payments %s: %v; want etcd's permission denied", st.what, err)
			}
		}
		if l.Err() != nil {
			t.Fatalf("the orders lease was lost: %v", l.Err())
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		start := time.Now()
		_, err := etcd.New(ctx, s.config(t, "", "orders"))
		checkDenied(t, "a client with a certificate but no user", err)
		t.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("wrong password", func(t *testing.T) {
		c := s.config(t, "orders", "orders")
		c.Password = "not-the-password"
		_, err := etcd.New(ctx, c)
		checkDenied(t, "idcoord-orders with a wrong password", err)
		if strings.Contains(err.Error(), c.Password) {
			t.Errorf("the error quotes the password: %v", err)
		}
	})

	for _, tc := range []struct {
		name string
		tls  func(t *testing.T) *tls.Config
		want error
	}{
		{"no client certificate", func(t *testing.T) *tls.Config { return s.srv.Certs().ClientTLS(t, false) }, coord.ErrDenied},
		{"client certificate of an untrusted CA", func(t *testing.T) *tls.Config { return s.srv.Certs().StrangerTLS(t) }, coord.ErrDenied},
		{"server not trusted by the client", func(t *testing.T) *tls.Config {
			c := s.srv.Certs().ClientTLS(t, true)
			c.RootCAs = nil // the system roots do not hold the test CA
			return c
		}, coord.ErrDenied},
		// A plain-text client cannot tell a TLS server from a dead one: the
		// server drops its connections without an answer it could read.
		{"plain text", func(t *testing.T) *tls.Config { return nil }, coord.ErrUnreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.config(t, "orders", "orders")
			c.TLS = tc.tls(t)
			b, err := etcd.New(ctx, c)
			if err == nil {
				b.Close()
				t.Fatalf("%s reached etcd", tc.name)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v; want one wrapping %v", err, tc.want)
			}
			t.Logf("refused: %v", err)
		})
	}

	if err := l.Release(ctx, time.Now()); err != nil {
		t.Fatalf("Release as idcoord-orders: %v", err)
	}
}

// checkDenied fails unless err is a refusal that wraps coord.ErrDenied.
func checkDenied(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error; want a refusal", what)
	}
	if !errors.Is(err, coord.ErrDenied) {
		t.Errorf("%s: %v; want an error wrapping coord.ErrDenied", what, err)
	}
	t.Logf("%s refused: %v", what, err)
}

// TestNoInsecureTLSOption proves there is no way to turn TLS verification
// off: no source file of the product sets InsecureSkipVerify, and no
// configuration key mentions "insecure".
func TestNoInsecureTLSOption(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bench" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := strings.ToLower(string(data))
		if strings.Contains(text, "insecureskipverify") || strings.Contains(text, "insecure-skip") {
			t.Errorf("%s can skip TLS verification", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// leaseKeysLeak reports whether etcd version v has CVE-2023-32082: 3.4
// before 3.4.26, 3.5 before 3.5.9.
func leaseKeysLeak(v string) bool {
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return false
	}
	return major == 3 && (minor < 4 || (minor == 4 && patch < 26) || (minor == 5 && patch < 9))
}
