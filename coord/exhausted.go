package coord

import (
	"fmt"
	"slices"
)

// NoFreeWorkerError is the error of an Acquire that found no WorkerID of
// 1..c.MaxWorkerID left for c in cluster. It wraps ErrNoFreeWorker and names
// the range, the reserved WorkerIDs inside it, how many WorkerIDs are held,
// and how many were skipped over a bad or stuck record, with the first one's
// error:
//
//	coord: no free WorkerId in cluster "prod": WorkerIds 1..1023 (0 is never handed out; 2 more reserved: [5 9]), 1020 held, 1 skipped over a bad record (coord: bad record in store: hw/7: ...)
//
// held is the store's listing of held WorkerIDs. Only those a claim could
// have been given count as held: inside the range, not reserved, not
// skipped. A key outside the range (a layout with fewer WorkerIDs than the
// store has seen) takes nothing from it. WorkerID 0 is outside the range
// whether or not c.Reserved names it, so it is never counted among the
// reserved ones. With skipped, the error also wraps the first one's error
// (so ErrBadRecord too).
func NoFreeWorkerError(cluster string, c Claim, held map[int64]bool, skipped []Skipped) error {
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
	bad := make(map[int64]bool, len(skipped))
	for _, s := range skipped {
		bad[s.WorkerID] = true
	}
	n := 0
	for wid := range held {
		if wid >= 1 && wid <= c.MaxWorkerID && !slices.Contains(inRange, wid) && !bad[wid] {
			n++
		}
	}
	if len(skipped) == 0 {
		return fmt.Errorf("%w in cluster %q: WorkerIds 1..%d (0 is never handed out%s), %d held",
			ErrNoFreeWorker, cluster, c.MaxWorkerID, reserved, n)
	}
	return fmt.Errorf("%w in cluster %q: WorkerIds 1..%d (0 is never handed out%s), %d held, %d skipped over a bad record (%w)",
		ErrNoFreeWorker, cluster, c.MaxWorkerID, reserved, n, len(bad), skipped[0].Err)
}
