package mariadbtest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Database is one database on a Server, made for one test.
type Database struct {
	// Name is the database's name.
	Name string
	// DSN is the Go driver's data source name for root on it.
	DSN string
	srv *Server
}

// unsafeName matches what a database name made from a test's name leaves
// out.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// NewDatabase creates a new, empty database on s, named after the test,
// and returns it. It stays until the server stops.
func (s *Server) NewDatabase(tb testing.TB) *Database {
	tb.Helper()
	name := unsafeName.ReplaceAllString(tb.Name(), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = "t" + strconv.FormatInt(s.dbs.Add(1), 10) + "_" + name
	d := &Database{Name: name, DSN: s.DSN(name), srv: s}
	ctx := testproc.Context(tb)
	if _, err := s.Batch(ctx, "", "CREATE DATABASE `"+name+"`"); err != nil {
		tb.Fatalf("mariadbtest: %v", err)
	}
	return d
}

// Exec runs each statement on d through the Go driver, in order, and
// fails tb at the first error.
func (d *Database) Exec(tb testing.TB, statements ...string) {
	tb.Helper()
	db, err := d.srv.open(d.Name)
	if err != nil {
		tb.Fatalf("mariadbtest: %v", err)
	}
	defer db.Close()
	ctx := testproc.Context(tb)
	for _, st := range statements {
		if _, err := db.ExecContext(ctx, st); err != nil {
			tb.Fatalf("mariadbtest: %.200s: %v", st, err)
		}
	}
}

// Batch runs query on d with the command-line client in batch mode
// (mysql --batch -e QUERY) and returns what it printed on stdout.
func (d *Database) Batch(ctx context.Context, query string) (string, error) {
	return d.srv.Batch(ctx, d.Name, query)
}

// Batch runs query on database (none: "") with the command-line client
// (mariadb, or mysql) in batch mode, as root over TCP, and returns what it
// printed on stdout. An error quotes what it printed on stderr.
func (s *Server) Batch(ctx context.Context, database, query string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bins.client, s.ClientArgs(database, "--batch", "--execute="+query)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("mariadbtest: %s -e %.200q: %v: %s", s.bins.client, query, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// Client is the path of the command-line client, mariadb or mysql.
func (s *Server) Client() string { return s.bins.client }

// ClientArgs are the client's arguments that reach s as root over TCP with
// no option file read, on database (none: ""), followed by more.
func (s *Server) ClientArgs(database string, more ...string) []string {
	args := []string{"--no-defaults", "--protocol=TCP", "--host=127.0.0.1", "--port=" + strconv.Itoa(s.port), "--user=root"}
	if database != "" {
		args = append(args, "--database="+database)
	}
	return append(args, more...)
}
