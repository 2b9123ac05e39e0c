package etcdtest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// SecureServer is a single-member etcd started from the binary that serves
// clients over TLS only and demands a client certificate signed by its CA
// (--client-cert-auth). Authentication (users and roles) is off until a test
// turns it on, as with EnableAuth. Its methods are safe for concurrent use.
type SecureServer struct {
	certs      *Certs
	dir        string
	clientPort int
	peerPort   int
	proc       testproc.Runner
}

// StartSecure starts the etcd binary with TLS for clients, using the
// certificates of certs, in tb.TempDir() on free loopback ports; waits until
// it is healthy, and stops it through tb.Cleanup. A port taken in between is
// retried with new ports.
func StartSecure(tb testing.TB, certs *Certs) *SecureServer {
	tb.Helper()
	bin := etcdBinary(tb)
	root := tb.TempDir()
	for attempt := 1; ; attempt++ {
		ports, err := pickPorts(2)
		if err != nil {
			tb.Fatalf("etcdtest: %v", err)
		}
		s := &SecureServer{certs: certs, dir: filepath.Join(root, strconv.Itoa(attempt)), clientPort: ports[0], peerPort: ports[1]}
		tb.Cleanup(s.Stop)
		start := time.Now()
		err = s.start(tb, bin)
		if err == nil {
			tb.Logf("etcdtest: TLS etcd healthy at %s in %v", s.ClientURL(), time.Since(start).Round(time.Millisecond))
			return s
		}
		s.proc.Kill()
		p := s.proc.Current()
		if p == nil || !testproc.IsBindConflict(p.LogSince()) || attempt == testproc.BindAttempts {
			tb.Fatalf("etcdtest: start TLS etcd (attempt %d of %d): %v\n--- end of %s ---\n%s",
				attempt, testproc.BindAttempts, err, s.LogPath(), testproc.LogTail(s.LogPath()))
		}
		tb.Logf("etcdtest: a port was taken (attempt %d of %d); starting over on new ports", attempt, testproc.BindAttempts)
	}
}

// start launches the process and waits for its health.
func (s *SecureServer) start(tb testing.TB, bin string) error {
	tb.Helper()
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	client := s.ClientURL()
	peer := "http://127.0.0.1:" + strconv.Itoa(s.peerPort)
	args := []string{
		"--name", "secure",
		"--data-dir", filepath.Join(s.dir, "data"),
		"--listen-client-urls", client,
		"--advertise-client-urls", client,
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", "secure=" + peer,
		"--initial-cluster-state", "new",
		"--cert-file", s.certs.ServerCert,
		"--key-file", s.certs.ServerKey,
		"--client-cert-auth",
		"--trusted-ca-file", s.certs.CAFile,
		"--logger", "zap",
		"--log-level", "warn",
	}
	if err := s.proc.Launch(testproc.Command{Bin: bin, Args: args, Env: etcdEnv(), LogPath: s.LogPath()}); err != nil {
		return err
	}
	return s.waitHealthy(testproc.Context(tb), tb)
}

// waitHealthy polls GET /health over TLS, with the client certificate.
func (s *SecureServer) waitHealthy(ctx context.Context, tb testing.TB) error {
	tb.Helper()
	p := s.proc.Current()
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: s.certs.ClientTLS(tb, true)}
	return pollHealth(ctx, p, tr, s.ClientURL()+"/health")
}

// Endpoints returns the client endpoint as "127.0.0.1:P". The etcd client
// speaks TLS to it when its config has a TLS config.
func (s *SecureServer) Endpoints() []string {
	return []string{"127.0.0.1:" + strconv.Itoa(s.clientPort)}
}

// ClientURL returns "https://127.0.0.1:P".
func (s *SecureServer) ClientURL() string { return "https://" + s.Endpoints()[0] }

// Certs returns the certificates the server was started with.
func (s *SecureServer) Certs() *Certs { return s.certs }

// LogPath returns the file that collects the server's output.
func (s *SecureServer) LogPath() string { return filepath.Join(s.dir, "etcd.log") }

// Stop ends etcd gracefully and waits until it has been reaped.
func (s *SecureServer) Stop() { s.proc.Stop() }
