package clients_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord/sidecar"
	// The Go snippet's client, linked in so that a change to it runs these
	// tests again instead of taking their cached result.
	_ "github.com/idcoord/idcoord/sidecar/client"
	"github.com/idcoord/idcoord/sidecar/sidecartest"

	"github.com/idcoord/idcoord/testsupport/markdown"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if goSnippet.dir != "" {
			os.RemoveAll(goSnippet.dir)
		}
		os.Exit(code)
	}))
}

// snippet is one client example: its file under configs/clients, the
// language tag of its README block, and how to run it on a socket.
type snippet struct {
	name string
	file string // relative to configs/clients
	lang string // the README code block's info string
	// tool is the interpreter that runs the snippet; args get the socket
	// path appended. The Go snippet has pkg instead: it is built once and
	// its binary run, since go run adds an "exit status" line of its own to
	// stderr and turns every failing status into 1.
	tool string
	args []string
	pkg  string // relative to the repository root
}

var snippets = []snippet{
	{name: "go", file: "go/main.go", lang: "go", pkg: "./configs/clients/go"},
	{name: "python", file: "python/next_id.py", lang: "python", tool: "python3", args: []string{"python/next_id.py"}},
	{name: "java", file: "java/NextId.java", lang: "java", tool: "java", args: []string{"java/NextId.java"}},
	{name: "node", file: "node/next_id.js", lang: "js", tool: "node", args: []string{"node/next_id.js"}},
}

// serve starts a sidecar server on a socket in a new short temporary folder
// (a socket path holds at most 107 bytes) and returns the path. A non-empty
// down makes every request fail with that reason.
func serve(t *testing.T, down string) (string, *sidecartest.Source) {
	t.Helper()
	src := sidecartest.NewSource(t, 5)
	src.SetDown(down)
	srv, err := sidecar.New(sidecar.Config{Source: src, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sidecartest.ShortDir(t), "idcoord.sock")
	l, err := sidecar.Listen(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	sidecartest.Serve(t, srv, l)
	return path, src
}

// TestSnippetsGetIDs runs every client snippet with its real interpreter
// against a live sidecar, and checks that each prints 3 positive,
// increasing IDs after one request for 3.
func TestSnippetsGetIDs(t *testing.T) {
	path, src := serve(t, "")
	var last int64
	for _, sn := range snippets {
		t.Run(sn.name, func(t *testing.T) {
			stdout, stderr, err := sn.run(t, path)
			if err != nil {
				t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", sn.file, err, stdout, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("printed %d lines, want 3 IDs:\n%s", len(lines), stdout)
			}
			for _, line := range lines {
				id, err := strconv.ParseInt(line, 10, 64)
				if err != nil || id <= 0 {
					t.Fatalf("line %q is not a positive int64 ID", line)
				}
				if id <= last {
					t.Fatalf("ID %d after %d: not increasing", id, last)
				}
				last = id
				if p, err := src.Layout().Decompose(id); err != nil || p.WorkerID != 5 {
					t.Errorf("ID %d decodes to %+v, %v; want WorkerId 5", id, p, err)
				}
			}
			if got := src.TakeCounts(); !slices.Equal(got, []int{3}) {
				t.Errorf("the sidecar got requests for %v IDs, want one request for 3", got)
			}
		})
	}
}

// TestSnippetsReportRefusals runs every snippet against a sidecar that
// cannot issue IDs, and checks that each fails with one line on stderr that
// gives the server's reason and the socket path, and prints no IDs.
func TestSnippetsReportRefusals(t *testing.T) {
	const reason = "lease fence passed 2s ago"
	path, _ := serve(t, reason)
	for _, sn := range snippets {
		t.Run(sn.name, func(t *testing.T) {
			stdout, stderr, err := sn.run(t, path)
			checkFailure(t, stdout, stderr, err, 1)
			if !strings.Contains(stderr, reason) {
				t.Errorf("stderr does not give the reason %q:\n%s", reason, stderr)
			}
			if !strings.Contains(stderr, path) {
				t.Errorf("stderr does not name the socket %s:\n%s", path, stderr)
			}
		})
	}
}

// TestSnippetsNameTheSocket runs every snippet on a socket path where no
// sidecar listens, and checks that each fails with one line on stderr that
// names the path it tried: the first thing to check when the socket volume
// or the socket setting is wrong.
func TestSnippetsNameTheSocket(t *testing.T) {
	// A socket file whose server has gone: connecting is refused.
	live, _ := serve(t, "")
	gone := filepath.Join(filepath.Dir(live), "gone.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: gone, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	paths := map[string]string{
		"missing": filepath.Join(filepath.Dir(live), "missing", "idcoord.sock"),
		"refused": gone,
	}
	for _, sn := range snippets {
		for what, path := range paths {
			t.Run(sn.name+"/"+what, func(t *testing.T) {
				stdout, stderr, err := sn.run(t, path)
				checkFailure(t, stdout, stderr, err, 1)
				if !strings.Contains(stderr, path) {
					t.Errorf("stderr does not name the socket %s:\n%s", path, stderr)
				}
			})
		}
	}
}

// TestSnippetsUsage runs every snippet without the socket argument, and with
// one argument too many, and checks that each prints a one-line usage message
// on stderr (no stack trace) and exits with status 2.
func TestSnippetsUsage(t *testing.T) {
	for _, sn := range snippets {
		for what, args := range map[string][]string{"none": nil, "two": {"a.sock", "b.sock"}} {
			t.Run(sn.name+"/"+what, func(t *testing.T) {
				stdout, stderr, err := sn.run(t, args...)
				checkFailure(t, stdout, stderr, err, 2)
				if !strings.HasPrefix(stderr, "usage: ") || !strings.Contains(stderr, "SOCKET") {
					t.Errorf("stderr %q; want a usage line naming the SOCKET argument", stderr)
				}
			})
		}
	}
}

// checkFailure checks that a snippet exited with status want, printed
// nothing on stdout and exactly one line on stderr: a message, not a stack
// trace.
func checkFailure(t *testing.T, stdout, stderr string, err error, want int) {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		t.Errorf("exit status 0; want %d", want)
	case !errors.As(err, &exit):
		t.Fatalf("did not run: %v", err)
	case exit.ExitCode() != want:
		t.Errorf("%v; want exit status %d", err, want)
	}
	if stdout != "" {
		t.Errorf("stdout %q; want nothing", stdout)
	}
	if line, ok := strings.CutSuffix(stderr, "\n"); !ok || line == "" || strings.Contains(line, "\n") {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
}

// run runs the snippet with args, by default the socket path, and returns
// what it printed. A missing interpreter fails the test: the snippets are
// part of the product's docs.
func (sn snippet) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	// Reading the file here makes go test's cache key depend on it: the
	// interpreter that reads it is a child process, which the cache does
	// not see.
	if _, err := os.ReadFile(sn.file); err != nil {
		t.Fatal(err)
	}
	var tool string
	if sn.pkg != "" {
		tool = buildGoSnippet(t, sn.pkg)
	} else {
		tool, err = exec.LookPath(sn.tool)
		if err != nil {
			t.Fatalf("%s is needed to run the %s snippet (%s) and is not on PATH: %v", sn.tool, sn.name, sn.file, err)
		}
	}
	cmd := testproc.CommandUntilDeadline(t, tool, append(slices.Clone(sn.args), args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// goSnippet is the Go snippet's binary, built by the first test that runs
// it and removed by TestMain.
var goSnippet struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildGoSnippet builds the Go snippet in pkg, once, and returns its binary.
func buildGoSnippet(t *testing.T, pkg string) string {
	t.Helper()
	goSnippet.once.Do(func() {
		goSnippet.dir, goSnippet.err = os.MkdirTemp("", "idcoord-clients")
		if goSnippet.err != nil {
			return
		}
		goSnippet.bin = filepath.Join(goSnippet.dir, "next-id")
		cmd := testproc.CommandUntilDeadline(t, "go", "build", "-o", goSnippet.bin, pkg)
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			goSnippet.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if goSnippet.err != nil {
		t.Fatal(goSnippet.err)
	}
	return goSnippet.bin
}

// TestReadmeShowsSnippets checks that the README's Clients section shows
// each snippet exactly as its file holds it, so that the two cannot drift.
func TestReadmeShowsSnippets(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, ok := markdown.Section(string(readme), "## Clients")
	if !ok {
		t.Fatal(`README.md has no "## Clients" section`)
	}
	blocks := codeBlocks(section)
	for _, sn := range snippets {
		file, err := os.ReadFile(sn.file)
		if err != nil {
			t.Fatal(err)
		}
		shown, ok := blocks[sn.lang]
		switch {
		case !ok:
			t.Errorf("the Clients section has no ```%s block for %s", sn.lang, sn.file)
		case len(shown) != 1:
			t.Errorf("the Clients section has %d ```%s blocks, want 1", len(shown), sn.lang)
		case shown[0] != string(file):
			t.Errorf("the ```%s block of the Clients section differs from %s; paste the file in again", sn.lang, sn.file)
		}
	}
}

// codeBlocks returns the fenced code blocks of text by their info string,
// each block's lines with a final newline.
func codeBlocks(text string) map[string][]string {
	blocks := map[string][]string{}
	var lang string
	var body strings.Builder
	in := false
	for line := range strings.Lines(text) {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case !in && strings.HasPrefix(trimmed, "```"):
			in, lang = true, strings.TrimPrefix(trimmed, "```")
			body.Reset()
		case in && trimmed == "```":
			in = false
			blocks[lang] = append(blocks[lang], body.String())
		case in:
			body.WriteString(trimmed + "\n")
		}
	}
	return blocks
}
