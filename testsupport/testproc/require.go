package testproc

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// debianPackage names the Debian package that installs each command the
// tests run; `make deps` installs the same list.
var debianPackage = map[string]string{
	"etcd":     "etcd-server",
	"java":     "default-jre-headless",
	"gcc":      "gcc",
	"iptables": "iptables",
	"ip":       "iproute2",
	"ss":       "iproute2",
	"curl":     "curl",
	"setpriv":  "util-linux",
	"python3":  "python3",
	"node":     "nodejs",
	"promtool": "prometheus",
}

// MissingCommand returns the one-line reason a test cannot run when cmd is
// not on PATH, naming the package and the command that installs it, or ""
// when cmd is there.
func MissingCommand(cmd string) string {
	if _, err := exec.LookPath(cmd); err == nil {
		return ""
	}
	pkg := debianPackage[cmd]
	if pkg == "" {
		return fmt.Sprintf("%s is not installed (not on PATH)", cmd)
	}
	return fmt.Sprintf("%s is not installed: run `make deps` (apt-get install -y %s)", cmd, pkg)
}

// Require fails tb, with one line per missing prerequisite, unless every
// command in cmds is on PATH.
func Require(tb testing.TB, cmds ...string) {
	tb.Helper()
	var missing []string
	for _, c := range cmds {
		if m := MissingCommand(c); m != "" {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		tb.Fatalf("%s", strings.Join(missing, "\n"))
	}
}

// RequireRoot fails tb with one line unless the test runs as root, which
// network namespaces, iptables and cgroups need.
func RequireRoot(tb testing.TB, why string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatalf("%s needs root (uid 0, this is uid %d): run `make test` as root", why, os.Geteuid())
	}
}
