package etcd_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: a Backend left
// open, or a lease's keepalive or watch that its Backend's Close did not end.
// The embedded etcd servers leave nothing behind once closed, so nothing is
// ignored.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
