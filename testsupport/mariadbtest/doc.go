// Package mariadbtest starts a real, throwaway MariaDB server for tests:
// Debian's mariadbd, with a fresh data folder made by mariadb-install-db.
// It is an ordinary package, not a _test.go file, so the tests of any
// package can use it.
//
// Contract:
//
//   - A server listens on 127.0.0.1 on a port that was free a moment before
//     it started (a port taken in between is retried with another, up to
//     testproc.BindAttempts times), with its socket and data in a temporary
//     folder, and lets root in from loopback without a password.
//   - Start and Shared return only once the server answers a ping through
//     the Go driver; otherwise they stop the test with tb.Fatalf, quoting
//     the end of the server's log.
//   - Start's server is the test's own and is stopped through tb.Cleanup.
//     Shared's is one server for the whole test binary, started by the
//     first test that asks; the package's TestMain must run its tests
//     through Main, which stops it after the last test (before goleak looks
//     for leftover goroutines). Tests that share it keep apart by database:
//     NewDatabase makes a fresh one for each.
//   - A missing server, install script or client stops the test with
//     tb.Fatalf naming `make deps`; nothing here skips a test.
//   - Server and Database methods are safe for concurrent use. The
//     functions that take a testing.TB call tb.Fatalf and so must run on the
//     test's goroutine.
//
// HAZARD: every stop waits on the process itself (package testproc), and
// the server gets SIGKILL if the test binary dies (Pdeathsig), so a crashed
// test leaves no mariadbd behind; its temporary folder may stay.
package mariadbtest
