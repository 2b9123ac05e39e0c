package zktest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fatalRecorder is a testing.TB whose Fatalf records the message and ends the
// calling goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// startFails runs start with a recording TB and returns its Fatalf message.
func startFails(t *testing.T, start func(testing.TB)) string {
	t.Helper()
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		start(rec)
	}()
	<-done
	return rec.msg
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
