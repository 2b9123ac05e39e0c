package testproc

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

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
			msg, failed := RunFatal(t, func(tb testing.TB) { Within(tb, 200*time.Millisecond, "the state", cond) })
			if failed != tt.wantFail {
				t.Fatalf("Within failed %v, want %v (message %q)", failed, tt.wantFail, msg)
			}
			if tt.wantFail && !strings.Contains(msg, "not within 200ms: the state") {
				t.Fatalf("Within failed with %q, want it to name the bound and the state", msg)
			}
			if !tt.wantFail && calls.Load() != tt.trueFrom {
				t.Fatalf("cond called %d times, want %d: Within must stop once it holds", calls.Load(), tt.trueFrom)
			}
		})
	}
}

func TestEventually(t *testing.T) {
	var calls atomic.Int64
	if msg, failed := RunFatal(t, func(tb testing.TB) {
		Eventually(tb, "the third look", func() bool { return calls.Add(1) >= 3 })
	}); failed {
		t.Fatalf("Eventually failed: %q", msg)
	}
	if calls.Load() != 3 {
		t.Fatalf("cond called %d times, want 3", calls.Load())
	}
}
