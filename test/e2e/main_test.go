package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// idcoordBin is the idcoord binary under test, built once by TestMain with
// the faultclock tag.
var idcoordBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "idcoord-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	idcoordBin = filepath.Join(dir, "idcoord")
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	build := exec.Command("go", "build", "-tags", "faultclock", "-o", idcoordBin, "./cmd/idcoord")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building idcoord: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
