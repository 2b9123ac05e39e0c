package zktest

import (
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// The start benchmarks time a start until the server serves; the stop that
// follows each start is not timed.

func BenchmarkStart(b *testing.B) {
	testproc.BenchStart(b, func() func() { return Start(b).Stop })
}

func BenchmarkRestartAfterKill(b *testing.B) {
	s := Start(b)
	testproc.BenchRestart(b, s.Kill, func() { s.Restart(b) })
}
