package testproc

import (
	"fmt"
	"runtime"
	"testing"
)

// RunFatal runs f with a testing.TB that stands for tb but whose Fatal and
// Fatalf record the message and end f, as a test's own do, without failing
// tb. It returns the message and whether f was stopped that way; it is for
// the tests of helpers that must stop a test with a given message.
func RunFatal(tb testing.TB, f func(testing.TB)) (msg string, fatal bool) {
	rec := &fatalRecorder{TB: tb}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	return rec.msg, rec.fatal
}

// fatalRecorder is RunFatal's testing.TB.
type fatalRecorder struct {
	testing.TB
	msg   string
	fatal bool
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatal(args ...any) {
	r.msg, r.fatal = fmt.Sprint(args...), true
	runtime.Goexit()
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg, r.fatal = fmt.Sprintf(format, args...), true
	runtime.Goexit()
}
