package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/testserver"
	"github.com/idcoord/idcoord/testsupport/mariadbtest"
)

func TestMain(m *testing.M) {
	// Tests set the variables they need with t.Setenv; none may leak in
	// from the machine.
	for i := range keys {
		os.Unsetenv(envName(keys[i].name))
	}
	os.Unsetenv("POD_IP")
	goleak.VerifyTestMain(mariadbtest.Main(m)) // stops the MariaDB server the segment import tests share
}

// runCLI runs idcoord in-process with args and returns what it wrote and
// its exit code. Stderr comes without the line an operator command prints
// when its store is slow to answer (noticeIfSlow): on a loaded machine any
// connection may take that long. Tests of that line call run.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return out.String(), withoutSlowNotice(errOut.String()), code
}

// withoutSlowNotice drops the lines of dialStore's notice from stderr.
func withoutSlowNotice(stderr string) string {
	var kept strings.Builder
	for line := range strings.Lines(stderr) {
		if !isSlowNotice(strings.TrimSuffix(line, "\n")) {
			kept.WriteString(line)
		}
	}
	return kept.String()
}

// isSlowNotice reports whether line is dialStore's notice.
func isSlowNotice(line string) bool {
	return strings.HasPrefix(line, "waiting for ") && strings.HasSuffix(line, " to answer...")
}

// execute runs the root command with args and returns its output and the
// error itself, for errors.Is checks.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

// mustRun runs idcoord with args and fails the test unless it succeeds
// without writing to stderr.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("idcoord %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// wantOneLineError runs idcoord with args and checks that it exits 1 with
// nothing on stdout and exactly one line on stderr, which starts with
// "idcoord: " and holds every part of want. It returns that line.
func wantOneLineError(t *testing.T, want []string, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != 1 {
		t.Fatalf("idcoord %s: exit %d, want 1 (stdout %q)", strings.Join(args, " "), code, stdout)
	}
	if stdout != "" {
		t.Errorf("idcoord %s: stdout %q, want nothing", strings.Join(args, " "), stdout)
	}
	if !strings.HasPrefix(stderr, "idcoord: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("idcoord %s: stderr %q, want one line starting with \"idcoord: \"", strings.Join(args, " "), stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("idcoord %s: stderr %q does not hold %q", strings.Join(args, " "), stderr, w)
		}
	}
	return strings.TrimSuffix(stderr, "\n")
}

// writeFile writes content to a new file in a temporary folder and returns
// its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsonLinesOf decodes output holding one JSON object per line.
func jsonLinesOf[T any](t *testing.T, out string) []T {
	t.Helper()
	var items []T
	for line := range strings.Lines(out) {
		var item T
		if err := json.Unmarshal([]byte(line), &item); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		items = append(items, item)
	}
	return items
}

// effective runs print-config -o json with args and returns the entries
// by key.
func effective(t *testing.T, args ...string) map[string]configEntry {
	t.Helper()
	out := mustRun(t, append([]string{"print-config", "-o", "json"}, args...)...)
	entries := map[string]configEntry{}
	for _, e := range jsonLinesOf[configEntry](t, out) {
		entries[e.Key] = e
	}
	if len(entries) != len(keys) {
		t.Fatalf("print-config printed %d keys, want %d", len(entries), len(keys))
	}
	return entries
}

// startSidecar starts a sidecar with the given max-batch, issuing IDs of
// the twitter layout with WorkerId testserver.WorkerID.
func startSidecar(t *testing.T, maxBatch int) *testserver.Server {
	t.Helper()
	return testserver.Start(t, sidecar.Config{MaxBatch: maxBatch})
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"two\nlines\n", "two lines"},
		{"  indented\n\n  \tmore  text ", "indented more  text"},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUnknownCommandAndFlag(t *testing.T) {
	wantOneLineError(t, []string{`unknown command "nope"`}, "nope")
	wantOneLineError(t, []string{"unknown flag: --nope"}, "decode", "--nope", "1")
	wantOneLineError(t, []string{`unknown command "extra" for "idcoord layouts"`}, "layouts", "extra")
}
