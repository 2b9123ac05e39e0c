package console_test

import (
	"strings"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestMissingChromiumNamesMakeDeps(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a folder with no chromium in it
	if msg, _ := testproc.RunFatal(t, func(tb testing.TB) { chromiumPath(tb) }); !strings.Contains(msg, "make deps") {
		t.Fatalf("Fatalf message %q does not name `make deps`", msg)
	}
}
