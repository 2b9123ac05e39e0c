package testproc

import (
	"testing"
	"time"
)

// PollInterval is the pause between two looks at a condition in Within and
// Eventually.
const PollInterval = 10 * time.Millisecond

// Within polls cond every PollInterval until it holds, and fails tb with
// what if it does not hold within d. The bound is part of what a test
// checks ("not ready within three session timeouts"); a wait with no such
// bound uses Eventually.
func Within(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(PollInterval)
	}
}

// WithinErr is Within for a condition that says why it does not hold yet:
// it polls cond until it returns nil, and fails tb with what and cond's last
// error if that does not come within d.
func WithinErr(tb testing.TB, d time.Duration, what string, cond func() error) {
	tb.Helper()
	for deadline := time.Now().Add(d); ; {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not within %s: %s: %v", d, what, err)
		}
		time.Sleep(PollInterval)
	}
}

// Eventually polls cond every PollInterval until it holds, and fails tb with
// what once Context(tb) ends: on a busy machine a state comes late but
// comes, and a state that never comes still fails with its own message
// before go test's timeout panics.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	ctx := Context(tb)
	for !cond() {
		select {
		case <-ctx.Done():
			tb.Fatalf("gave up waiting: %s", what)
		case <-time.After(PollInterval):
		}
	}
}
