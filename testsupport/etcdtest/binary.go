package etcdtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// binaryName is the etcd server command Debian's etcd-server package installs.
const binaryName = "etcd"

// StartBinary starts the etcd binary as a single-member cluster in
// tb.TempDir() on free loopback ports, waits until it is healthy, and stops it
// through tb.Cleanup.
func StartBinary(tb testing.TB) *Server {
	tb.Helper()
	return startMembers(tb, "n", 1)[0]
}

// etcdBinary finds the etcd binary or stops the test saying how to install it.
func etcdBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath(binaryName)
	if err != nil {
		tb.Fatalf("etcdtest: the etcd server binary is not installed (%v); %s", err, testproc.InstallHint)
	}
	return bin
}

// etcdEnv is the test's environment without ETCD_* variables, which etcd
// would read as flags.
func etcdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	return env
}

// startMembers starts an n-member cluster, named prefix1..prefixN, in
// tb.TempDir(), and waits until every member is healthy. If a port was taken
// in between, it starts over with new ports.
func startMembers(tb testing.TB, prefix string, n int) []*Server {
	tb.Helper()
	bin := etcdBinary(tb)
	root := tb.TempDir()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		members, err := launchMembers(tb, bin, root, prefix, n)
		if err == nil {
			err = waitAll(tb, members)
		}
		if err == nil {
			tb.Logf("etcdtest: %d-member etcd healthy at %v in %v", n, endpointsOf(members), time.Since(start).Round(time.Millisecond))
			return members
		}
		conflict := false
		for _, m := range members {
			m.Kill()
			conflict = conflict || (m.current() != nil && testproc.IsBindConflict(m.current().LogSince()))
		}
		if !conflict || attempt == testproc.BindAttempts {
			tb.Fatalf("etcdtest: start %d-member etcd cluster (attempt %d of %d): %v", n, attempt, testproc.BindAttempts, err)
		}
		tb.Logf("etcdtest: a port was taken (attempt %d of %d); starting over on new ports", attempt, testproc.BindAttempts)
		for _, m := range members {
			if err := os.RemoveAll(m.dir); err != nil {
				tb.Fatalf("etcdtest: clear %s for a new attempt: %v", m.dir, err)
			}
		}
	}
}

// launchMembers starts the processes of an n-member cluster without waiting
// for them. Each Server is registered for cleanup as soon as it exists.
func launchMembers(tb testing.TB, bin, root, prefix string, n int) ([]*Server, error) {
	tb.Helper()
	ports, err := pickPorts(2 * n)
	if err != nil {
		return nil, err
	}
	members := make([]*Server, n)
	peers := make([]string, n)
	for i := range members {
		name := fmt.Sprintf("%s%d", prefix, i+1)
		members[i] = &Server{
			bin:        bin,
			name:       name,
			dir:        filepath.Join(root, name),
			clientPort: ports[2*i],
			peerPort:   ports[2*i+1],
		}
		peers[i] = name + "=" + members[i].PeerURL()
		tb.Cleanup(members[i].Stop)
	}
	var errs []error
	for _, m := range members {
		m.cluster = strings.Join(peers, ",")
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return members, fmt.Errorf("etcdtest: create %s: %w", m.dir, err)
		}
		if err := m.launch(); err != nil {
			errs = append(errs, err)
		}
	}
	return members, errors.Join(errs...)
}

// waitAll waits until every member is healthy, or one exits, or the test
// runs out of time: on a busy machine a start comes late, not never.
func waitAll(tb testing.TB, members []*Server) error {
	ctx := testproc.Context(tb)
	for _, m := range members {
		if err := m.WaitHealthy(ctx); err != nil {
			return fmt.Errorf("%s: %w\n--- end of %s ---\n%s", m.name, err, m.LogPath(), m.logTail())
		}
	}
	return nil
}

func endpointsOf(members []*Server) []string {
	eps := make([]string, 0, len(members))
	for _, m := range members {
		eps = append(eps, m.ClientAddr())
	}
	return eps
}
