package zktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for a started or restarted server to serve.
	startTimeout = 20 * time.Second
	// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
	stopGrace = 5 * time.Second
)

// Server is a standalone ZooKeeper process. Its data folder and port stay the
// same across Stop, Kill and Restart. All methods are safe for concurrent use;
// Stop, Kill and Restart are serialized.
type Server struct {
	java string
	dir  string // holds conf/, data/ and zookeeper.log
	port int
	opts Options // with defaults applied

	life sync.Mutex // serializes Stop, Kill and Restart
	mu   struct {
		sync.Mutex
		proc *process // the process started last; nil before the first start
	}
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
			err = s.waitReadyFor(startTimeout)
		}
		if err == nil {
			tb.Logf("zktest: zookeeper serving at %s in %v", s.Addr(), time.Since(start).Round(time.Millisecond))
			return s
		}
		s.Kill()
		p := s.current()
		if p == nil || !isBindConflict(p.logSince()) || attempt == bindAttempts {
			tb.Fatalf("zktest: start zookeeper (attempt %d of %d): %v\n--- end of %s ---\n%s",
				attempt, bindAttempts, err, s.LogPath(), s.logTail())
		}
		tb.Logf("zktest: port %d was taken (attempt %d of %d); starting over on a new port", port, attempt, bindAttempts)
		if err := os.RemoveAll(s.dir); err != nil {
			tb.Fatalf("zktest: clear %s for a new attempt: %v", s.dir, err)
		}
	}
}

// Addr returns the client address, "127.0.0.1:P".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// DataDir returns the server's data folder, kept across restarts.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// LogPath returns the file that collects the log of every run of the server.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "zookeeper.log") }

// Options returns the options the server runs with, defaults applied.
func (s *Server) Options() Options { return s.opts }

func (s *Server) confDir() string { return filepath.Join(s.dir, "conf") }

// PID returns the process ID of the run started last, whether or not it is
// still running, or 0 before the first start.
func (s *Server) PID() int {
	if p := s.current(); p != nil {
		return p.pid()
	}
	return 0
}

// Running reports whether the process started last has not exited. A paused
// process is running.
func (s *Server) Running() bool {
	p := s.current()
	return p != nil && !p.exited()
}

// Stop ends the process gracefully: SIGTERM, then SIGKILL after 5s. It
// returns once the process has been reaped; a stopped Server is left as it is.
func (s *Server) Stop() {
	s.life.Lock()
	defer s.life.Unlock()
	if p := s.current(); p != nil {
		p.stop(stopGrace)
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits until it
// has been reaped.
func (s *Server) Kill() {
	s.life.Lock()
	defer s.life.Unlock()
	if p := s.current(); p != nil {
		p.kill()
	}
}

// Pause freezes the process with SIGSTOP: its sockets stay open and silent,
// and the sessions it holds expire only after Resume, when it sees the time
// that has passed. It returns once the kernel reports every thread stopped
// (at most 2s), so nothing is served after Pause returns.
func (s *Server) Pause() { s.signalAndWait(syscall.SIGSTOP, true) }

// Resume continues a paused process with SIGCONT and returns once no thread
// is stopped (at most 2s).
func (s *Server) Resume() { s.signalAndWait(syscall.SIGCONT, false) }

func (s *Server) signalAndWait(sig syscall.Signal, stopped bool) {
	if p := s.current(); p != nil && !p.exited() {
		p.signal(sig)
		waitStopped(p.pid(), stopped)
	}
}

// Restart stops the process if it runs, starts it again with the same data
// folder and port, and waits until it serves.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.life.Lock()
	if p := s.current(); p != nil {
		p.stop(stopGrace)
	}
	err := s.launch()
	s.life.Unlock()
	if err != nil {
		tb.Fatalf("zktest: restart: %v", err)
	}
	start := time.Now()
	if err := s.waitReadyFor(startTimeout); err != nil {
		tb.Fatalf("zktest: restart: %v\n--- end of %s ---\n%s", err, s.LogPath(), s.logTail())
	}
	tb.Logf("zktest: restarted zookeeper serving at %s in %v", s.Addr(), time.Since(start).Round(time.Millisecond))
}

// launch starts a new process; the previous one must have ended.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.mu.proc; p != nil && !p.exited() {
		return fmt.Errorf("zktest: zookeeper is still running as PID %d", p.pid())
	}
	p, err := startProcess(s.java, s.args(), os.Environ(), s.LogPath())
	if err != nil {
		return err
	}
	s.mu.proc = p
	return nil
}

func (s *Server) current() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.proc
}

func (s *Server) logTail() string {
	return readLog(s.LogPath(), -1, logTailBytes)
}

func (s *Server) waitReadyFor(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.WaitReady(ctx)
}
