package etcdtest

import "testing"

// The start benchmarks time a start until the server is ready; the stop that
// follows each start is not timed.

func BenchmarkStartBinary(b *testing.B) {
	for b.Loop() {
		s := StartBinary(b)
		b.StopTimer()
		s.Stop()
		b.StartTimer()
	}
}

func BenchmarkStartCluster3(b *testing.B) {
	for b.Loop() {
		c := StartCluster(b, 3)
		b.StopTimer()
		for _, m := range c.Members() {
			m.Stop()
		}
		b.StartTimer()
	}
}

func BenchmarkRestartBinary(b *testing.B) {
	s := StartBinary(b)
	for b.Loop() {
		b.StopTimer()
		s.Stop()
		b.StartTimer()
		s.Restart(b)
	}
}

func BenchmarkStartEmbedded(b *testing.B) {
	for b.Loop() {
		e := StartEmbedded(b)
		b.StopTimer()
		e.Close()
		b.StartTimer()
	}
}
