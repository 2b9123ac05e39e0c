package sidecartest

import "testing"

// CheckUnique fails tb if an ID stands twice in draws, or if one client's
// IDs do not increase; each element of draws is what one client got, in
// the order it got them. It returns the number of IDs.
func CheckUnique(tb testing.TB, draws [][]int64) int {
	tb.Helper()
	seen := make(map[int64]bool)
	for g, ids := range draws {
		for i, id := range ids {
			if seen[id] {
				tb.Fatalf("duplicate ID %d", id)
			}
			if i > 0 && id <= ids[i-1] {
				tb.Fatalf("client %d: ID %d after %d", g, id, ids[i-1])
			}
			seen[id] = true
		}
	}
	return len(seen)
}
