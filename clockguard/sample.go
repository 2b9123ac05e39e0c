package clockguard

import "math/rand/v2"

// DefaultSampleSize is how many live peers a peer clock check asks by
// default. Twelve keeps the chance that a median is a bad clock near 5% even
// when a quarter of the fleet's clocks are bad, and under 0.1% at a tenth
// (see the package doc, "How the verdict degrades with k"), for 12 probes a
// check whatever the fleet's size.
const DefaultSampleSize = 12

// SamplePeers draws at most k of peers uniformly at random, without
// replacement, from those keep accepts (nil keeps all), in the order drawn.
// Every subset of k accepted peers is equally likely; with fewer than k
// accepted, all are returned. rnd nil means the package-level source.
//
// It walks a random permutation of peers lazily, so a draw costs O(k) when
// most peers are accepted, whatever the number of peers; at worst (few
// accepted) it looks at each peer once.
func SamplePeers[P any](rnd *rand.Rand, peers []P, k int, keep func(P) bool) []P {
	if k <= 0 || len(peers) == 0 {
		return nil
	}
	intN := rand.IntN
	if rnd != nil {
		intN = rnd.IntN
	}
	n := len(peers)
	// moved holds the positions of the permutation that differ from the
	// identity: a Fisher–Yates shuffle that touches only what it draws.
	moved := make(map[int]int, 2*min(k, n))
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	out := make([]P, 0, min(k, n))
	for i := 0; i < n && len(out) < k; i++ {
		j := i + intN(n-i)
		pick := at(j)
		moved[j] = at(i)
		delete(moved, i)
		if keep == nil || keep(peers[pick]) {
			out = append(out, peers[pick])
		}
	}
	return out
}
