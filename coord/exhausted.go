package coord

import (
	"fmt"
	"slices"
)

// NoFreeWorkerError is the error of an Acquire that found no WorkerID of
// 1..c.MaxWorkerID left for c in cluster. It wraps ErrNoFreeWorker and names
// the range, the reserved WorkerIDs inside it, and held, the number of
// WorkerIDs the store holds now:
//
//	coord: no free WorkerId in cluster "prod": WorkerIds 1..1023 (0 is never handed out; 2 more reserved: [5 9]), 1021 held
//
// WorkerID 0 is outside the range whether or not c.Reserved names it, so it
// is never counted among the reserved ones.
func NoFreeWorkerError(cluster string, c Claim, held int) error {
	var inRange []int64
	for _, r := range c.Reserved {
		if r >= 1 && r <= c.MaxWorkerID && !slices.Contains(inRange, r) {
			inRange = append(inRange, r)
		}
	}
	slices.Sort(inRange)
	reserved := ""
	if len(inRange) > 0 {
		reserved = fmt.Sprintf("; %d more reserved: %v", len(inRange), inRange)
	}
	return fmt.Errorf("%w in cluster %q: WorkerIds 1..%d (0 is never handed out%s), %d held",
		ErrNoFreeWorker, cluster, c.MaxWorkerID, reserved, held)
}
