package etcd

import (
	"fmt"
	"sync"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// ErrStoreWentBack means etcd answered as another cluster than before: it
// was replaced (or restored under a new identity), and may have forgotten
// writes this node relied on (its claims, its W), so every holding made
// before ends at once. It wraps coord.ErrFenced.
var ErrStoreWentBack = fmt.Errorf("%w: etcd was replaced", coord.ErrFenced)

// storeHistory is the cluster ID one client has seen in etcd's answers.
// Each time it changes, the era moves on: holdings claimed in an earlier era
// are over, and claims go on against the store as it is now (the node's own
// floor keeps its IDs above what it issued).
//
// HAZARD: the revision is not compared. An answer's revision can come out
// lower than one seen before without a restore (seen with a member that
// rejoins its cluster after being cut off), so a node would drop its
// WorkerId for nothing. A restore that keeps the cluster ID is caught by the
// fencing token (its lease ID) and the claim floor instead.
type storeHistory struct {
	mu        sync.Mutex
	clusterID uint64
	era       int
	why       error // what ended the last era
}

// observe records one answer's header, moving to a new era when the store
// went back. It returns the era the answer belongs to.
func (b *Backend) observe(h *etcdserverpb.ResponseHeader) int {
	s := &b.history
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		return s.era
	}
	var why error
	switch {
	case s.clusterID != 0 && h.ClusterId != s.clusterID:
		why = fmt.Errorf("%w: it answers as cluster %x, not %x as before (restored or replaced)",
			ErrStoreWentBack, h.ClusterId, s.clusterID)
	}
	if why != nil {
		s.era++
		s.why = why
		b.cfg.Logger.Error("the store was replaced; dropping every WorkerId claimed before", zap.Error(why))
	}
	s.clusterID = h.ClusterId
	return s.era
}

// stillValid checks that a holding claimed in era is not over, given one
// more answer from the store.
func (b *Backend) stillValid(era int, h *etcdserverpb.ResponseHeader) error {
	if now := b.observe(h); now != era {
		b.history.mu.Lock()
		defer b.history.mu.Unlock()
		return fmt.Errorf("%w; this WorkerId was claimed before", b.history.why)
	}
	return nil
}
