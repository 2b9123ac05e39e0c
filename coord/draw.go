package coord

import "math/rand/v2"

// Draw moves k elements of s, drawn uniformly at random without
// replacement, to its front and returns them: all of s when it has fewer
// than k. It is a partial Fisher–Yates shuffle, O(k).
func Draw[T any](s []T, k int) []T {
	k = max(min(k, len(s)), 0)
	for i := range k {
		j := i + rand.IntN(len(s)-i)
		s[i], s[j] = s[j], s[i]
	}
	return s[:k:k]
}
