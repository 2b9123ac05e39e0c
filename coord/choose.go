package coord

import (
	"hash/fnv"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Candidates yields the WorkerIDs to try for c, most preferred first, each at
// most once, never a reserved one and never out of 1..MaxWorkerID:
//
//  1. sticky, the WorkerID the node held last (pass -1 for none);
//  2. the StatefulSet ordinal: a name ending in "-<n>" prefers n+1, because
//     WorkerID 0 is reserved, so pod-0 gets 1, pod-1 gets 2, and so on;
//  3. every other WorkerID, probing linearly from a hash of the node name, so
//     that nodes starting together spread out instead of racing for 1.
func Candidates(c Claim, sticky int64) iter.Seq[int64] {
	return func(yield func(int64) bool) {
		if c.MaxWorkerID < 1 {
			return
		}
		tried := make(map[int64]bool, 2)
		try := func(wid int64) bool {
			if wid < 1 || wid > c.MaxWorkerID || tried[wid] || slices.Contains(c.Reserved, wid) {
				return true
			}
			tried[wid] = true
			return yield(wid)
		}
		if !try(sticky) {
			return
		}
		if n, ok := ordinal(c.Node); ok && n < c.MaxWorkerID {
			if !try(n + 1) {
				return
			}
		}
		h := fnv.New64a()
		h.Write([]byte(c.Node))
		start := int64(h.Sum64() % uint64(c.MaxWorkerID))
		for i := range c.MaxWorkerID {
			if !try((start+i)%c.MaxWorkerID + 1) {
				return
			}
		}
	}
}

// ordinal returns n for a name that ends in "-<n>", as StatefulSet pods do.
func ordinal(name string) (int64, bool) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	return n, err == nil && n >= 0
}
