package zktest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// pickPort chooses the port for a start; tests replace it to force a conflict.
var pickPort = testproc.FreePort

// Server is a ZooKeeper process: a standalone server, or one member of an
// Ensemble. Its data folder and ports stay the same across Stop, Kill and
// Restart. All methods are safe for concurrent use; Stop, Kill and Restart
// are serialized.
type Server struct {
	java   string
	dir    string // holds conf/, data/ and zookeeper.log
	port   int
	opts   Options // with defaults applied
	member *member // nil for a standalone server

	// Runner holds the server's runs: its PID, Running, Stop, Kill,
	// Pause and Resume act on the run started last. Stop, Kill and Restart
	// are serialized. A paused JVM's sessions expire only after Resume, when
	// it sees the time that has passed.
	testproc.Runner
}

// member is a Server's place in an ensemble.
type member struct {
	id       int    // myid, from 1
	quorum   int    // port followers connect to when this member leads
	election int    // port of leader election
	servers  string // the server.N lines of every member, for zoo.cfg
}

// Start starts a ZooKeeper server with default Options in tb.TempDir() on a
// free loopback port, waits until it serves, and stops it through tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{})
}

// StartWith is Start with explicit Options; invalid Options stop the test.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if err := opts.Validate(); err != nil {
		tb.Fatalf("%v", err)
	}
	java := javaCommand(tb)
	root := tb.TempDir()
	for attempt := 1; ; attempt++ {
		port, err := pickPort()
		if err != nil {
			tb.Fatalf("%v", err)
		}
		s := &Server{java: java, dir: filepath.Join(root, "zk"), port: port, opts: opts.withDefaults()}
		tb.Cleanup(s.Stop)
		start := time.Now()
		err = s.writeConfig()
		if err == nil {
			err = s.launch()
		}
		if err == nil {
			err = s.WaitReady(testproc.Context(tb))
		}
		if err == nil {
			tb.Logf("zktest: zookeeper serving at %s in %v", s.Addr(), time.Since(start).Round(time.Millisecond))
			return s
		}
		s.Kill()
		p := s.current()
		if p == nil || !testproc.IsBindConflict(p.LogSince()) || attempt == testproc.BindAttempts {
			tb.Fatalf("zktest: start zookeeper (attempt %d of %d): %v\n--- end of %s ---\n%s",
				attempt, testproc.BindAttempts, err, s.LogPath(), s.logTail())
		}
		tb.Logf("zktest: port %d was taken (attempt %d of %d); starting over on a new port", port, attempt, testproc.BindAttempts)
		if err := os.RemoveAll(s.dir); err != nil {
			tb.Fatalf("zktest: clear %s for a new attempt: %v", s.dir, err)
		}
	}
}

// Addr returns the client address, "127.0.0.1:P".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// DataDir returns the server's data folder, kept across restarts.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// DataDirs returns the data folder, for testproc.Backup and Restore.
func (s *Server) DataDirs() []string { return []string{s.DataDir()} }

// LogPath returns the file that collects the log of every run of the server.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "zookeeper.log") }

// Options returns the options the server runs with, defaults applied.
func (s *Server) Options() Options { return s.opts }

func (s *Server) confDir() string { return filepath.Join(s.dir, "conf") }

// Restart stops the process if it runs, starts it again with the same data
// folder and port, and waits until it serves.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.Runner.Relaunch(s.command()); err != nil {
		tb.Fatalf("zktest: restart: %v", err)
	}
	start := time.Now()
	if err := s.WaitReady(testproc.Context(tb)); err != nil {
		tb.Fatalf("zktest: restart: %v\n--- end of %s ---\n%s", err, s.LogPath(), s.logTail())
	}
	tb.Logf("zktest: restarted zookeeper serving at %s in %v", s.Addr(), time.Since(start).Round(time.Millisecond))
}

// launch starts a new process; the previous one must have ended.
func (s *Server) launch() error {
	if err := s.Runner.Launch(s.command()); err != nil {
		return fmt.Errorf("zktest: zookeeper: %w", err)
	}
	return nil
}

func (s *Server) current() *testproc.Process { return s.Runner.Current() }

func (s *Server) logTail() string { return testproc.LogTail(s.LogPath()) }

// command runs the ZooKeeper JVM, its output in LogPath.
func (s *Server) command() testproc.Command {
	return testproc.Command{Bin: s.java, Args: s.args(), Env: os.Environ(), LogPath: s.LogPath()}
}
