package testproc

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the calling goroutine, as testing.T's does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with r on a goroutine of its own, so that Fatalf's Goexit
// ends that goroutine only, and reports whether f returned normally.
func (r *fatalRecorder) run(f func(tb testing.TB)) (returned bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
		returned = true
	}()
	<-done
	return returned
}

func TestWithin(t *testing.T) {
	tests := []struct {
		name     string
		trueFrom int64 // the call of cond from which it holds; 0: never
		wantFail bool
	}{
		{"holds at once", 1, false},
		{"holds on the fifth look", 5, false},
		{"never holds", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			cond := func() bool { return tt.trueFrom > 0 && calls.Add(1) >= tt.trueFrom }
			r := &fatalRecorder{TB: t}
			returned := r.run(func(tb testing.TB) { Within(tb, 200*time.Millisecond, "the state", cond) })
			if returned == tt.wantFail {
				t.Fatalf("Within returned %v, want %v (message %q)", returned, !tt.wantFail, r.msg)
			}
			if tt.wantFail && !strings.Contains(r.msg, "not within 200ms: the state") {
				t.Fatalf("Within failed with %q, want it to name the bound and the state", r.msg)
			}
			if !tt.wantFail && calls.Load() != tt.trueFrom {
				t.Fatalf("cond called %d times, want %d: Within must stop once it holds", calls.Load(), tt.trueFrom)
			}
		})
	}
}

func TestEventually(t *testing.T) {
	var calls atomic.Int64
	r := &fatalRecorder{TB: t}
	if !r.run(func(tb testing.TB) { Eventually(tb, "the third look", func() bool { return calls.Add(1) >= 3 }) }) {
		t.Fatalf("Eventually failed: %q", r.msg)
	}
	if calls.Load() != 3 {
		t.Fatalf("cond called %d times, want 3", calls.Load())
	}
}
