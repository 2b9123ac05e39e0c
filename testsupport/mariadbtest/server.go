package mariadbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// ErrExited means the server ended while it was expected to start.
var ErrExited = errors.New("mariadbtest: mariadbd exited")

// maxSocketPath keeps the socket's path within what a Unix socket address
// holds (108 bytes with the final NUL).
const maxSocketPath = 100

// Server is one running MariaDB server. Its methods are safe for
// concurrent use.
type Server struct {
	bins   binaries
	dir    string // data folder, log and pid file
	socket string
	port   int
	proc   *testproc.Process
	dbs    atomic.Int64 // databases made by NewDatabase
}

// Start starts a MariaDB server of the test's own in tb.TempDir(), waits
// until it answers, and stops it through tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bins, err := findBinaries()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	dir := tb.TempDir()
	sockDir := dir
	if len(filepath.Join(dir, "mysqld.sock")) > maxSocketPath {
		if sockDir, err = os.MkdirTemp("", "mdb"); err != nil {
			tb.Fatalf("mariadbtest: %v", err)
		}
		tb.Cleanup(func() { os.RemoveAll(sockDir) })
	}
	s, err := start(testproc.Context(tb), tb, bins, dir, sockDir)
	if s != nil {
		tb.Cleanup(s.Stop)
	}
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return s
}

// start makes a data folder in dir and starts a server on it, trying new
// ports while the one picked was taken. The Server it returns, even with
// an error, must be stopped.
func start(ctx context.Context, tb testing.TB, bins binaries, dir, sockDir string) (*Server, error) {
	began := time.Now()
	data := filepath.Join(dir, "data")
	if err := install(ctx, bins, data, filepath.Join(dir, "install.log")); err != nil {
		return nil, err
	}
	s := &Server{bins: bins, dir: dir, socket: filepath.Join(sockDir, "mysqld.sock")}
	for attempt := 1; ; attempt++ {
		err := s.launch()
		if err == nil {
			err = s.waitReady(ctx)
		}
		if err == nil {
			tb.Logf("mariadbtest: MariaDB ready at %s in %v", s.Addr(), time.Since(began).Round(time.Millisecond))
			return s, nil
		}
		log := s.logTail()
		s.Stop()
		if !testproc.IsBindConflict(log) || attempt == testproc.BindAttempts {
			return s, fmt.Errorf("mariadbtest: start mariadbd (attempt %d of %d): %v\n--- end of %s ---\n%s",
				attempt, testproc.BindAttempts, err, s.logPath(), log)
		}
		tb.Logf("mariadbtest: port %d was taken (attempt %d of %d); trying another", s.port, attempt, testproc.BindAttempts)
	}
}

// install makes a data folder with the system tables, in which root may
// log in from this machine without a password.
func install(ctx context.Context, bins binaries, data, logPath string) error {
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root") // the server refuses to run as root otherwise
	}
	cmd := exec.CommandContext(ctx, bins.install, args...)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(logPath, out, 0o644)
	if err != nil {
		return fmt.Errorf("mariadbtest: %s: %v\n%s", bins.install, err, tail(out))
	}
	return nil
}

// launch starts mariadbd on a new free port, without waiting for it.
func (s *Server) launch() error {
	port, err := testproc.FreePort()
	if err != nil {
		return err
	}
	s.port = port
	args := []string{
		"--no-defaults",
		"--datadir=" + filepath.Join(s.dir, "data"),
		"--socket=" + s.socket,
		"--pid-file=" + filepath.Join(s.dir, "mysqld.pid"),
		"--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--skip-networking=0",
		"--skip-log-bin",
		"--character-set-server=utf8mb4",
		"--innodb-buffer-pool-size=32M",
		"--innodb-flush-log-at-trx-commit=2", // a test's data need not survive a crash of the machine
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	p, err := testproc.Start(testproc.Command{Bin: s.bins.server, Args: args, Env: os.Environ(), LogPath: s.logPath()})
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}

// waitReady pings the server through the Go driver until it answers, it
// exits, or ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	db, err := s.open("")
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.proc.Done():
			return fmt.Errorf("%w (%s)", ErrExited, s.proc.ExitStatus())
		case <-ctx.Done():
			return fmt.Errorf("mariadbtest: no answer at %s: %v (%w)", s.Addr(), err, ctx.Err())
		case <-time.After(testproc.PollInterval):
		}
	}
}

// open returns a connection pool to database (none: "") through the Go
// driver, quiet: a refused connection is an error returned, not a line
// the driver logs.
func (s *Server) open(database string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(s.DSN(database))
	if err != nil {
		return nil, err
	}
	cfg.Logger = quiet{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// quiet is a mysql.Logger that drops the driver's log lines.
type quiet struct{}

func (quiet) Print(...any) {}

// Addr is the server's "127.0.0.1:port".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Socket is the path of the server's Unix socket.
func (s *Server) Socket() string { return s.socket }

// DSN is the Go driver's (github.com/go-sql-driver/mysql) data source name
// for root on database over TCP; database may be empty.
func (s *Server) DSN(database string) string {
	return fmt.Sprintf("root@tcp(%s)/%s", s.Addr(), database)
}

// PID is the server's process ID.
func (s *Server) PID() int { return s.proc.PID() }

// Stop stops the server (SIGTERM, then SIGKILL after testproc.StopGrace)
// and returns once it has been reaped. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	if s.proc != nil {
		s.proc.Stop(testproc.StopGrace)
	}
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "mariadbd.log") }

func (s *Server) logTail() string { return testproc.LogTail(s.logPath()) }

// tail is the end of a command's output, for an error message.
func tail(out []byte) string {
	const keep = 2 << 10
	if len(out) > keep {
		out = out[len(out)-keep:]
	}
	return string(out)
}
