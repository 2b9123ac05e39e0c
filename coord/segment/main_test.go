package segment

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: a fetch loop
// that Close did not end, or a Backend left open. The embedded etcd
// servers leave nothing behind once closed, so nothing is ignored.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
