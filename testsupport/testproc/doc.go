// Package testproc runs a real server process for a test helper: the etcd
// binary for etcdtest, the ZooKeeper JVM for zktest, idcoord itself for
// test/e2e. It is an ordinary package, not a _test.go file, so that the
// helpers and the tests of every package can import it.
//
// Contract:
//
//   - A Process appends its stdout and stderr to a log file; LogSince returns
//     what one run wrote and LogTail the end of the whole file, for failure
//     messages.
//   - Every stop waits on the process itself: Stop sends SIGTERM, then
//     SIGKILL after a grace period; Kill sends SIGKILL. Both return only once
//     the process has been reaped.
//   - Runner.Pause and Runner.Resume return only once /proc/PID/task/*/stat
//     shows every thread stopped (after SIGSTOP) or none (after SIGCONT), at
//     most 2s, so nothing is served after Pause returns.
//   - FreePorts holds all its listeners open together, so the ports it
//     returns are distinct; they can still be taken by another process before
//     the server binds them, which IsBindConflict recognizes and a helper
//     retries up to BindAttempts times.
//   - Within and Eventually poll a condition every PollInterval: Within
//     fails the test after the bound it is given, which is part of what the
//     test checks; Eventually after Context's deadline, for a state that
//     comes late on a busy machine but comes.
//   - RunFatal runs a helper with a testing.TB whose Fatal and Fatalf
//     record the message instead of failing the test, for the tests of
//     helpers that must stop a test.
//   - Process and Runner methods are safe for concurrent use; a Runner
//     serializes Stop, Kill and Relaunch.
//
// HAZARD: a process that was killed stays a zombie until it is waited for,
// so "kill -0 PID" says nothing about whether it has stopped. Every stop here
// waits on the process itself. A child also gets SIGKILL if the test binary
// dies (Pdeathsig), so a crashed test leaves no server behind.
package testproc
