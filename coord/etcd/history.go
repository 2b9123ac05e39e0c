package etcd

import (
	"fmt"
	"sync"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// ErrStoreWentBack means etcd answered with a revision below one it had
// answered before, or as another cluster: it was restored from an older
// backup, or replaced. It forgot writes this node relied on (its claims, its
// W), so every holding made before ends at once. It wraps coord.ErrFenced.
var ErrStoreWentBack = fmt.Errorf("%w: etcd went back in time", coord.ErrFenced)

// storeHistory is the highest revision and the cluster ID one client has
// seen in etcd's answers. Linearizable reads and writes answer with a
// revision at least as high as any answered before, so a lower one can only
// come from a store that lost its latest writes. Each time that is seen, the
// era moves on: holdings claimed in an earlier era are over, and claims go
// on against the store as it is now (the node's own floor keeps its IDs
// above what it issued).
type storeHistory struct {
	mu        sync.Mutex
	revision  int64
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
	case h.Revision < s.revision:
		why = fmt.Errorf("%w: revision %d after %d (restored from an older backup?)",
			ErrStoreWentBack, h.Revision, s.revision)
	}
	if why != nil {
		s.era++
		s.why = why
		b.cfg.Logger.Error("the store went back in time; dropping every WorkerId claimed before", zap.Error(why))
	}
	s.clusterID, s.revision = h.ClusterId, h.Revision
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
