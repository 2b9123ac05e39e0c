// Package etcdtest starts real etcd servers for tests: the etcd binary (one
// member or a cluster) and the in-process embed server. It is an ordinary
// package, not a _test.go file, so the tests of any package can use it.
//
// Contract:
//
//   - Every server listens on 127.0.0.1 on ports that were free a moment
//     before it started, keeps its data in tb.TempDir(), and is stopped through
//     tb.Cleanup before that folder is removed. A port taken by someone else in
//     between is retried with new ports a few times.
//   - A Start function returns only once the server answers: the binary's
//     /health says "health":"true" (which needs a leader), the embedded
//     server's ReadyNotify has fired. Otherwise it stops the test with
//     tb.Fatalf, quoting the end of the server's log.
//   - A missing etcd binary stops the test with tb.Fatalf naming `make deps`;
//     nothing here skips a test.
//   - Endpoints are "127.0.0.1:P", without a scheme: the form idcoord's
//     etcd.endpoints takes and a faultproxy target needs. The etcd client
//     accepts it as it is; ClientURL gives the "http://" form.
//   - Server methods are safe for concurrent use. The functions that take a
//     testing.TB call tb.Fatalf and so must run on the test's goroutine.
//
// HAZARD: a process that was killed stays a zombie until it is waited for,
// so "kill -0 PID" says nothing about whether it has stopped. Every stop here
// waits on the process itself. Children also get SIGKILL if the test binary
// dies (Pdeathsig), so a crashed test leaves no etcd behind. Package testproc
// does this process handling for etcdtest and zktest alike.
package etcdtest
