package zktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

const (
	// zookeeperJar is the server jar of Debian's zookeeper package; its
	// manifest names the jars it depends on.
	zookeeperJar = "/usr/share/java/zookeeper.jar"
	// mainClass runs a standalone server from a zoo.cfg.
	mainClass = "org.apache.zookeeper.server.ZooKeeperServerMain"
	// quorumMainClass runs one member of an ensemble from a zoo.cfg that
	// lists every member (server.N lines) and a myid file in its dataDir.
	quorumMainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// logBindingJars route ZooKeeper's SLF4J logging to log4j 1.2, which reads
// log4j.properties from the configuration folder. Without them SLF4J falls
// back to logging nothing.
var logBindingJars = []string{
	"/usr/share/java/slf4j-log4j12.jar",
	"/usr/share/java/log4j-1.2.jar",
}

// defaultJVMFlags make a small JVM that starts fast: a test server needs
// neither a large heap nor the optimizing compiler.
var defaultJVMFlags = []string{
	"-Xmx256m",
	"-XX:+UseSerialGC",
	"-XX:TieredStopAtLevel=1",
	"-Djava.net.preferIPv4Stack=true",
	"-Dzookeeper.jmx.log4j.disable=true",
	// Keep transaction log files small; the default preallocates 64 MiB.
	"-Dzookeeper.preAllocSize=1024",
}

// javaCommand finds java and the ZooKeeper jar, or stops the test saying how
// to install them.
func javaCommand(tb testing.TB) string {
	tb.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		tb.Fatalf("zktest: java is not installed (%v); %s", err, testproc.InstallHint)
	}
	if _, err := os.Stat(zookeeperJar); err != nil {
		tb.Fatalf("zktest: the ZooKeeper server jar is missing (%v); %s", err, testproc.InstallHint)
	}
	return java
}

// classPath is the configuration folder, the ZooKeeper jar and whichever
// log binding jars are installed.
func classPath(confDir string) string {
	parts := []string{confDir, zookeeperJar}
	for _, jar := range logBindingJars {
		if _, err := os.Stat(jar); err == nil {
			parts = append(parts, jar)
		}
	}
	return strings.Join(parts, string(os.PathListSeparator))
}

// writeConfig writes zoo.cfg and log4j.properties into s.confDir.
func (s *Server) writeConfig() error {
	if err := os.MkdirAll(s.confDir(), 0o755); err != nil {
		return fmt.Errorf("zktest: create %s: %w", s.confDir(), err)
	}
	if err := os.MkdirAll(s.DataDir(), 0o755); err != nil {
		return fmt.Errorf("zktest: create %s: %w", s.DataDir(), err)
	}
	o := s.opts
	cfg := fmt.Sprintf(`tickTime=%d
minSessionTimeout=%d
maxSessionTimeout=%d
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
`, o.TickTime.Milliseconds(), o.MinSessionTimeout.Milliseconds(), o.MaxSessionTimeout.Milliseconds(), s.DataDir(), s.port)
	switch {
	case o.MaxClientCnxns < 0:
		cfg += "maxClientCnxns=0\n" // ZooKeeper's 0: no limit
	case o.MaxClientCnxns > 0:
		cfg += fmt.Sprintf("maxClientCnxns=%d\n", o.MaxClientCnxns)
	}
	if m := s.member; m != nil {
		cfg += fmt.Sprintf("initLimit=%d\nsyncLimit=%d\n%s", o.InitLimit, o.SyncLimit, m.servers)
		myid := filepath.Join(s.DataDir(), "myid")
		if err := os.WriteFile(myid, []byte(strconv.Itoa(m.id)+"\n"), 0o644); err != nil {
			return fmt.Errorf("zktest: write %s: %w", myid, err)
		}
	}
	log4j := fmt.Sprintf(`log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=%s
log4j.appender.FILE.Append=true
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%%d{ISO8601} %%-5p [%%t:%%C{1}@%%L] %%m%%n
`, s.LogPath())
	for name, text := range map[string]string{"zoo.cfg": cfg, "log4j.properties": log4j} {
		if err := os.WriteFile(filepath.Join(s.confDir(), name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("zktest: write %s: %w", name, err)
		}
	}
	return nil
}

// args are the java arguments that run the server.
func (s *Server) args() []string {
	args := append([]string(nil), defaultJVMFlags...)
	args = append(args, s.opts.JVMFlags...)
	main := mainClass
	if s.member != nil {
		main = quorumMainClass
	}
	return append(args, "-cp", classPath(s.confDir()), main, filepath.Join(s.confDir(), "zoo.cfg"))
}
