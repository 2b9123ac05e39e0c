package testproc

import "testing"

// BenchStart times start, once per iteration of b, until the server it
// starts is ready; the stop it returns runs after each start, untimed.
func BenchStart(b *testing.B, start func() (stop func())) {
	for b.Loop() {
		stop := start()
		b.StopTimer()
		stop()
		b.StartTimer()
	}
}

// BenchRestart times restart, once per iteration of b, each after a stop
// that is not timed.
func BenchRestart(b *testing.B, stop, restart func()) {
	for b.Loop() {
		b.StopTimer()
		stop()
		b.StartTimer()
		restart()
	}
}
