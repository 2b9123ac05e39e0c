// Package grafana_test checks the Grafana dashboard idcoord.json: its
// shape (a data source variable, the job and instance variables, every
// panel filtered by them), that it covers what an operator watches, and
// that every metric its queries read is exported by live idcoord nodes.
package grafana_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
