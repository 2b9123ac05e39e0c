package etcdtest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Server is one etcd process started from the binary: a single-member
// cluster from StartBinary, or a member of a Cluster. Its data folder and
// ports stay the same across Stop, Kill and Restart. All methods are safe for
// concurrent use; Stop, Kill and Restart are serialized.
type Server struct {
	bin        string
	name       string
	dir        string // holds data/ and etcd.log
	clientPort int
	peerPort   int
	cluster    string // the --initial-cluster value

	// Runner holds this member's runs: its PID, Running, Stop, Kill,
	// Pause and Resume act on the run started last. Stop, Kill and Restart
	// are serialized.
	testproc.Runner
}

// Name returns the member name, as in --name.
func (s *Server) Name() string { return s.name }

// Endpoints returns the client endpoint as "127.0.0.1:P", without a scheme.
func (s *Server) Endpoints() []string { return []string{s.ClientAddr()} }

// ClientURL returns the client URL, "http://127.0.0.1:P".
func (s *Server) ClientURL() string { return "http://" + s.ClientAddr() }

// PeerURL returns the peer URL, "http://127.0.0.1:Q".
func (s *Server) PeerURL() string {
	return "http://127.0.0.1:" + strconv.Itoa(s.peerPort)
}

// DataDir returns the member's data folder, kept across restarts.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// DataDirs returns the data folder, for testproc.Backup and Restore.
func (s *Server) DataDirs() []string { return []string{s.DataDir()} }

// LogPath returns the file that collects the output of every run of this member.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "etcd.log") }

// ClientAddr returns the client address, "127.0.0.1:P": the one endpoint, or a
// faultproxy target.
func (s *Server) ClientAddr() string {
	return "127.0.0.1:" + strconv.Itoa(s.clientPort)
}

// Restart stops the process if it runs, starts it again with the same data
// folder and ports, and waits until it is healthy. A cluster member is
// healthy only once it sees a leader, so restarting one member of a cluster
// that has lost its quorum waits in vain: use Cluster.Restart for several.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.relaunch(); err != nil {
		tb.Fatalf("etcdtest: restart %s: %v", s.name, err)
	}
	start := time.Now()
	if err := s.WaitHealthy(testproc.Context(tb)); err != nil {
		tb.Fatalf("etcdtest: restart %s: %v\n--- end of %s ---\n%s", s.name, err, s.LogPath(), s.logTail())
	}
	tb.Logf("etcdtest: restarted %s healthy at %s in %v", s.name, s.ClientAddr(), time.Since(start).Round(time.Millisecond))
}

// relaunch stops the process if it runs and starts a new one, without
// waiting for health.
func (s *Server) relaunch() error { return s.Runner.Relaunch(s.command()) }

// launch starts a new process for this member; the previous one must have ended.
func (s *Server) launch() error {
	if err := s.Runner.Launch(s.command()); err != nil {
		return fmt.Errorf("etcdtest: %s: %w", s.name, err)
	}
	return nil
}

func (s *Server) current() *testproc.Process { return s.Runner.Current() }

// logTail returns the end of the member's log, for failure messages.
func (s *Server) logTail() string { return testproc.LogTail(s.LogPath()) }

// command runs the etcd binary for this member, its output in LogPath.
func (s *Server) command() testproc.Command {
	return testproc.Command{Bin: s.bin, Args: s.args(), Env: etcdEnv(), LogPath: s.LogPath()}
}

// args are the etcd flags for this member. --initial-cluster-state new is
// ignored by etcd once the data folder holds a member, so restarts reuse them.
func (s *Server) args() []string {
	client, peer := s.ClientURL(), s.PeerURL()
	return []string{
		"--name", s.name,
		"--data-dir", s.DataDir(),
		"--listen-client-urls", client,
		"--advertise-client-urls", client,
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", s.cluster,
		"--initial-cluster-state", "new",
		"--initial-cluster-token", "etcdtest",
		"--logger", "zap",
		"--log-level", "warn",
	}
}
