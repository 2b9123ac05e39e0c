package testproc

import (
	"strings"
	"testing"
)

func TestMissingCommand(t *testing.T) {
	if m := MissingCommand("sh"); m != "" {
		t.Fatalf("MissingCommand(sh) = %q, want empty: sh is installed", m)
	}
	debianPackage["idcoord-no-such-tool"] = "idcoord-no-such-package"
	defer delete(debianPackage, "idcoord-no-such-tool")
	m := MissingCommand("idcoord-no-such-tool")
	for _, want := range []string{"idcoord-no-such-tool is not installed", "make deps", "apt-get install -y idcoord-no-such-package"} {
		if !strings.Contains(m, want) {
			t.Errorf("MissingCommand = %q, want it to say %q", m, want)
		}
	}
	if strings.Contains(m, "\n") {
		t.Errorf("MissingCommand = %q, want one line", m)
	}
	if m := MissingCommand("idcoord-unknown-tool"); !strings.Contains(m, "idcoord-unknown-tool is not installed") {
		t.Errorf("MissingCommand of a tool with no known package = %q", m)
	}
}
