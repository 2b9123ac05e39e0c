package etcdtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
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

func TestMissingBinaryNamesMakeDeps(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a folder with no etcd in it
	tests := []struct {
		name  string
		start func(testing.TB)
	}{
		{name: "binary", start: func(tb testing.TB) { StartBinary(tb) }},
		{name: "cluster", start: func(tb testing.TB) { StartCluster(tb, 3) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				tt.start(rec)
			}()
			<-done
			if !strings.Contains(rec.msg, "make deps") {
				t.Fatalf("Fatalf message %q does not name `make deps`", rec.msg)
			}
		})
	}
}
