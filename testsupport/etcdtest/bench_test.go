package etcdtest

import (
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// The start benchmarks time a start until the server is ready; the stop that
// follows each start is not timed.

func BenchmarkStartBinary(b *testing.B) {
	testproc.BenchStart(b, func() func() { return StartBinary(b).Stop })
}

func BenchmarkStartCluster3(b *testing.B) {
	testproc.BenchStart(b, func() func() {
		c := StartCluster(b, 3)
		return func() {
			for _, m := range c.Members() {
				m.Stop()
			}
		}
	})
}

func BenchmarkRestartBinary(b *testing.B) {
	s := StartBinary(b)
	testproc.BenchRestart(b, s.Stop, func() { s.Restart(b) })
}

func BenchmarkStartEmbedded(b *testing.B) {
	testproc.BenchStart(b, func() func() { return StartEmbedded(b).Close })
}
