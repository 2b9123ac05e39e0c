package zktest

import (
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// startFails runs start with a recording TB and returns its Fatalf message.
func startFails(t *testing.T, start func(testing.TB)) string {
	t.Helper()
	msg, _ := testproc.RunFatal(t, start)
	return msg
}

func TestMissingJavaNamesMakeDeps(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a folder with no java in it
	msg := startFails(t, func(tb testing.TB) { Start(tb) })
	if !strings.Contains(msg, "make deps") {
		t.Fatalf("Fatalf message %q does not name `make deps`", msg)
	}
}

func TestBadOptionsStopTheTest(t *testing.T) {
	msg := startFails(t, func(tb testing.TB) { StartWith(tb, Options{TickTime: -time.Second}) })
	if !strings.Contains(msg, "TickTime") {
		t.Fatalf("Fatalf message %q does not name the bad field", msg)
	}
}
