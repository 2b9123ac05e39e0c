package sidecar

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// otherUIDClient is a line-protocol client run as another user: it prints
// its pid, then "denied <errno>" if it cannot connect, "closed" if the
// server closes the connection unanswered, or "reply <line>".
const otherUIDClient = `
import os, socket, sys
print(os.getpid(), flush=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("denied", e.strerror); sys.exit(0)
try:
    s.sendall(b"1\n")
    data = s.recv(128)
except OSError as e:
    print("closed", e.strerror); sys.exit(0)
print("reply " + data.decode().strip() if data else "closed")
`

// runAsNobody runs otherUIDClient against path as nobody:nogroup with no
// supplementary groups, and returns its pid and verdict.
func runAsNobody(t *testing.T, path string) (int, string) {
	t.Helper()
	out, err := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
		"/usr/bin/python3", "-c", otherUIDClient, path).CombinedOutput()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	pidLine, verdict, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	pid, err := strconv.Atoi(pidLine)
	if err != nil {
		t.Fatalf("client as nobody printed %q", out)
	}
	return pid, verdict
}

// TestOtherUID runs a client as the user nobody. With the default folder
// and socket modes (0750, 0660, owned by root) the file system refuses it;
// with modes that let anyone connect (0755, 0666), the uid allowlist
// refuses it and the server logs its pid and uid.
func TestOtherUID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	for _, tool := range []string{"setpriv", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (util-linux, python3): %v", tool, err)
		}
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	nobodyUID, _ := strconv.Atoi(nobody.Uid)
	// A folder nobody may enter, under /tmp rather than t.TempDir() (whose
	// parents are private to root).
	base, err := os.MkdirTemp("", "sidecar-uid")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	serve := func(t *testing.T, path string, mode os.FileMode, allowed []uint32) *observer.ObservedLogs {
		core, logs := observer.New(zapcore.WarnLevel)
		ln, err := Listen(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{Source: sidecartest.NewSource(t, 7), AllowedUIDs: allowed, Logger: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		sidecartest.Serve(t, s, ln)
		return logs
	}

	t.Run("file mode", func(t *testing.T) {
		path := filepath.Join(base, "private", "idcoord.sock") // folder made 0750 by Listen
		serve(t, path, DefaultSocketMode, nil)
		fi, err := os.Stat(filepath.Dir(path))
		if err != nil || fi.Mode().Perm() != 0o750 {
			t.Fatalf("socket folder: %v, %v; want mode 0750", fi.Mode(), err)
		}
		_, verdict := runAsNobody(t, path)
		if verdict != "denied Permission denied" {
			t.Fatalf("nobody got %q; want the file system's permission denied", verdict)
		}
		t.Logf("nobody, socket %04o in a %04o folder: %s", DefaultSocketMode, fi.Mode().Perm(), verdict)
	})

	t.Run("allowlist", func(t *testing.T) {
		dir := filepath.Join(base, "open")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil { // past the umask
			t.Fatal(err)
		}
		path := filepath.Join(dir, "idcoord.sock")
		logs := serve(t, path, 0o666, []uint32{uint32(os.Getuid())})
		pid, verdict := runAsNobody(t, path)
		if !strings.HasPrefix(verdict, "closed") {
			t.Fatalf("nobody got %q; want the connection closed unanswered", verdict)
		}
		entries := logs.FilterMessage("refused a connection: peer uid not allowed").All()
		if len(entries) != 1 {
			t.Fatalf("logged %d refusals, want 1: %v", len(entries), logs.All())
		}
		f := entries[0].ContextMap()
		if f["pid"] != int32(pid) || f["uid"] != uint32(nobodyUID) {
			t.Fatalf("refusal logged %v; want pid %d and uid %d", f, pid, nobodyUID)
		}
		t.Logf("nobody (pid %d), socket 0666 in a 0755 folder: %s; logged %v", pid, verdict, f)
		// The allowed uid is still served.
		assertServing(t, path)
	})
}
