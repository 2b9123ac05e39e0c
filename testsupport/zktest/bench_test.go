package zktest

import "testing"

// The start benchmarks time a start until the server serves; the stop that
// follows each start is not timed.

func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s := Start(b)
		b.StopTimer()
		s.Stop()
		b.StartTimer()
	}
}

func BenchmarkRestartAfterKill(b *testing.B) {
	s := Start(b)
	for b.Loop() {
		b.StopTimer()
		s.Kill()
		b.StartTimer()
		s.Restart(b)
	}
}
