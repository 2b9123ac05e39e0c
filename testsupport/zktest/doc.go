// Package zktest starts real ZooKeeper servers for tests, from Debian's
// zookeeper package and Java: a standalone server (Start, StartWith), or an
// ensemble of quorum members (StartEnsemble), each member a Server of its
// own that can be paused, killed and restarted alone. It is an ordinary
// package, not a _test.go file, so the tests of any package can use it.
//
// Contract:
//
//   - The server listens on 127.0.0.1 on a port that was free a moment before
//     it started, keeps its data and configuration in tb.TempDir(), and is
//     stopped through tb.Cleanup before that folder is removed. A port taken by
//     someone else in between is retried with a new port a few times.
//   - Start returns only once the server answers "imok" to ruok and srvr
//     reports a mode, that is once it serves clients; StartEnsemble once every
//     member does, which means a leader is elected and every follower has
//     caught up with it. Otherwise they stop the test with tb.Fatalf, quoting
//     the end of the server's log (of every member's, for an ensemble).
//   - Ensemble members listen on 127.0.0.1 too, each with its own client,
//     quorum and election port (server.N=127.0.0.1:quorum:election), folder
//     and myid.
//   - A missing java or ZooKeeper jar stops the test with tb.Fatalf naming
//     `make deps`; nothing here skips a test.
//   - Server methods are safe for concurrent use. The functions that take a
//     testing.TB call tb.Fatalf and so must run on the test's goroutine.
//
// The server runs as
//
//	java -cp CONF:/usr/share/java/zookeeper.jar:LOG4J-BINDING org.apache.zookeeper.server.ZooKeeperServerMain CONF/zoo.cfg
//
// and an ensemble member with org.apache.zookeeper.server.quorum.QuorumPeerMain.
//
// Debian's own scripts put only the configuration folder and zookeeper.jar on
// the class path; the jar's manifest pulls in its dependencies (slf4j-api,
// netty, jute, ...). Debian ships no SLF4J binding on that path, so the server
// would log nothing; this package adds slf4j-log4j12 and log4j 1.2 (both are
// dependencies of the package) and a log4j.properties that writes to
// zookeeper.log in the temp folder, so failures can quote the log.
//
// HAZARD: a process that was killed stays a zombie until it is waited for,
// so "kill -0 PID" says nothing about whether it has stopped. Every stop here
// waits on the process itself. The server also gets SIGKILL if the test binary
// dies (Pdeathsig), so a crashed test leaves no JVM behind. Package testproc
// does this process handling for zktest and etcdtest alike.
package zktest
