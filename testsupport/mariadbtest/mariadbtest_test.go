package mariadbtest

import (
	"database/sql"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestSharedServerAnswersDriverAndClient(t *testing.T) {
	s := Shared(t)
	if again := Shared(t); again != s {
		t.Fatalf("a second Shared started another server")
	}
	d := s.NewDatabase(t)
	d.Exec(t, "CREATE TABLE kv (k varchar(16) PRIMARY KEY, v varchar(64))",
		"INSERT INTO kv VALUES ('a', 'tab\\there'), ('b', NULL)")
	out, err := d.Batch(testproc.Context(t), "SELECT k, v FROM kv ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	// The client's batch mode: a header, tab-separated columns, a tab in a
	// value escaped as \t, NULL as the text NULL.
	if want := "k\tv\na\ttab\\there\nb\tNULL\n"; out != want {
		t.Fatalf("mysql --batch printed %q, want %q", out, want)
	}
	db, err := sql.Open("mysql", d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(testproc.Context(t), "SELECT COUNT(*) FROM kv").Scan(&n); err != nil || n != 2 {
		t.Fatalf("through the Go driver at %s: %d rows, %v; want 2", d.DSN, n, err)
	}
}

func TestDatabasesAreApart(t *testing.T) {
	s := Shared(t)
	a, b := s.NewDatabase(t), s.NewDatabase(t)
	if a.Name == b.Name {
		t.Fatalf("two databases named %s", a.Name)
	}
	a.Exec(t, "CREATE TABLE only_here (x int)")
	if _, err := b.Batch(testproc.Context(t), "SELECT * FROM only_here"); err == nil {
		t.Fatalf("database %s sees the table of %s", b.Name, a.Name)
	}
}

func TestStartOwnServerAndStop(t *testing.T) {
	s := Start(t)
	if s == Shared(t) {
		t.Fatal("Start returned the shared server")
	}
	if _, err := s.Batch(testproc.Context(t), "", "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Socket()); err != nil {
		t.Fatalf("no socket at %s: %v", s.Socket(), err)
	}
	pid := s.PID()
	s.Stop()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("after Stop, kill -0 %d = %v, want ESRCH", pid, err)
	}
	if _, err := s.Batch(testproc.Context(t), "", "SELECT 1"); err == nil {
		t.Fatal("the client still reaches the stopped server")
	}
	s.Stop() // a second stop does nothing
}

func TestMissingServerNamesMakeDeps(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a folder with no MariaDB in it
	old := sbin
	sbin = t.TempDir()
	t.Cleanup(func() { sbin = old })
	msg, fatal := testproc.RunFatal(t, func(tb testing.TB) { Start(tb) })
	if !fatal || !strings.Contains(msg, "make deps") || !strings.Contains(msg, "mariadb-server") {
		t.Fatalf("Start without a server: fatal %v, message %q; want a stop that names `make deps` and mariadb-server", fatal, msg)
	}
}
