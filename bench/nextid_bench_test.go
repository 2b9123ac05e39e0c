package bench

import "testing"

// BenchmarkNextID issues one ID per op from every subject in every mode.
// ns/op is the cost of one ID; at a capped layout it is bounded below by
// 1/capacity (244 ns at 4096 IDs per 1 ms).
func BenchmarkNextID(b *testing.B) {
	for _, s := range subjects {
		b.Run(s.name, func(b *testing.B) {
			for _, m := range modes {
				b.Run(m.name, func(b *testing.B) {
					next := s.open(b)
					b.ReportAllocs()
					b.ResetTimer()
					m.run(b, next)
					b.StopTimer()
					reportRate(b, float64(b.N), s.capacity)
				})
			}
		})
	}
}
