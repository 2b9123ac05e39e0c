// Package prometheus_test checks the alert rules idcoord-rules.yaml:
// promtool validates them and runs their unit tests
// (idcoord-rules_test.yaml), every alert has a severity, a for: and
// annotations that say what to do, every alert is unit-tested firing, and
// every metric their expressions read is exported by live idcoord nodes.
package prometheus_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
