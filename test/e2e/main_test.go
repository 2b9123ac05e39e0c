package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// idcoordBin is the idcoord binary under test, built once by TestMain with
// the faultclock tag.
var idcoordBin string

// releaseEnv and releaseFlags are the release build's settings (`make
// build`, the Dockerfile). The test builds use them too, so that they reuse
// the dependencies `make lint` compiled with them.
var (
	releaseEnv   = []string{"CGO_ENABLED=0"}
	releaseFlags = []string{"-trimpath"}
)

// goBuild returns the command that builds ./cmd/idcoord into out with the
// release settings and extra arguments, from the repository root.
func goBuild(out string, extra ...string) *exec.Cmd {
	_, here, _, _ := runtime.Caller(0)
	args := append(append([]string{"build"}, releaseFlags...), extra...)
	cmd := exec.Command("go", append(args, "-o", out, "./cmd/idcoord")...)
	cmd.Dir = filepath.Join(filepath.Dir(here), "..", "..")
	cmd.Env = append(os.Environ(), releaseEnv...)
	return cmd
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "idcoord-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	idcoordBin = filepath.Join(dir, "idcoord")
	// The nodes' data-dir (their local history of W) goes to the temporary
	// folder, not to the working tree; a test's --data-dir flag still wins.
	os.Setenv("IDCOORD_DATA_DIR", filepath.Join(dir, "data")) //nolint:errcheck // a valid name
	build := goBuild(idcoordBin, "-tags", "faultclock")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building idcoord: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	// The nodes are processes of their own; what goleak sees is this
	// binary's side of them: reapers, supervisors, forwarders, HTTP clients.
	if code == 0 {
		http.DefaultClient.CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
