package zkcoord

import "time"

// StaleForever selects the forever znodes that no process holds and that
// were last written before cutoff: the rule of `idcoord zk gc`, which deletes
// them with DeleteForever. A znode is stale when it is not Live, names no
// Holder, and both its server modification time (Modified: when idcoord or
// Leaf last wrote it) and its stored Timestamp (zero when unreadable) are
// before cutoff. Taking the later of the two keeps a znode whose timestamp
// is ahead, as after a clock that ran fast, until that time too has passed.
//
// Leaf processes mark nothing live, so for them only the times tell:
// cutoff must lie well before Leaf's report period (3s) ago. Deleting a
// stale znode frees no WorkerId (sequence numbers are never reused); its
// identity gets a new one the next time it starts.
//
// nodes is not changed; the result keeps their order.
func StaleForever(nodes []ForeverNode, cutoff time.Time) []ForeverNode {
	var stale []ForeverNode
	for _, n := range nodes {
		if n.Live || n.Holder != "" {
			continue
		}
		if n.Modified.Before(cutoff) && n.Timestamp.Before(cutoff) {
			stale = append(stale, n)
		}
	}
	return stale
}
