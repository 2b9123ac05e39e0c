package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseBuildHasNoFaultClock builds idcoord as `make build` does and
// checks that the test clock is not in it, while the faultclock build used
// by these tests has it: by the recorded build settings and by symbols.
func TestReleaseBuildHasNoFaultClock(t *testing.T) {
	release := filepath.Join(t.TempDir(), "idcoord")
	build := goBuild(release)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("release build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		bin  string
		want bool
	}{{release, false}, {idcoordBin, true}} {
		info, err := exec.Command("go", "version", "-m", tc.bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		tagged := strings.Contains(string(info), "-tags=faultclock")
		syms, err := exec.Command("go", "tool", "nm", tc.bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		hasCode := strings.Contains(string(syms), "clockguard.(*FaultClock)")
		if tagged != tc.want || hasCode != tc.want {
			t.Fatalf("%s: built with faultclock %v, FaultClock symbols %v; want %v", tc.bin, tagged, hasCode, tc.want)
		}
	}
}
