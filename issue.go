package idcoord

import (
	"context"
	"fmt"
	"time"
)

// NextID issues one ID. It may wait out a short clock rollback or the end of
// a tick's sequence, bounded by ctx. When the node cannot prove it is safe,
// it returns an error wrapping ErrNotReady and no ID.
func (n *Node) NextID(ctx context.Context) (int64, error) {
	h, err := n.serving()
	if err != nil {
		return 0, err
	}
	id, err := h.gen.NextID(ctx)
	if err != nil {
		return 0, n.generatorError(err)
	}
	if err := n.checkDeadline(h); err != nil {
		return 0, err
	}
	return id, nil
}

// NextIDs issues n IDs in increasing order, claiming whole runs of a tick's
// sequence at a time. Errors are as for NextID.
func (n *Node) NextIDs(ctx context.Context, count int) ([]int64, error) {
	if count < 1 {
		return nil, fmt.Errorf("%w: got %d", ErrBadCount, count)
	}
	return n.AppendIDs(ctx, make([]int64, 0, count), count)
}

// AppendIDs is NextIDs appending to dst; on error dst is returned as it was.
func (n *Node) AppendIDs(ctx context.Context, dst []int64, count int) ([]int64, error) {
	if count < 1 {
		return dst, fmt.Errorf("%w: got %d", ErrBadCount, count)
	}
	h, err := n.serving()
	if err != nil {
		return dst, err
	}
	out, err := h.gen.AppendIDs(ctx, dst, count)
	if err != nil {
		return dst, n.generatorError(err)
	}
	// Checked after generating: every ID returned existed before the deadline.
	if err := n.checkDeadline(h); err != nil {
		return dst, err
	}
	return out, nil
}

// serving returns the holding to issue from, or why there is none or the
// clock may not be trusted.
func (n *Node) serving() (*holding, error) {
	h := n.cur.Load()
	if h == nil {
		return nil, n.notReady()
	}
	if err := n.guard.refusal(); err != nil {
		return nil, err
	}
	return h, nil
}

// Close stops issuing, persists the final W, gives the WorkerID back so that
// another node can take it at once, and closes the Backend.
func (n *Node) Close(ctx context.Context) error {
	var err error
	n.closing.Do(func() {
		n.mu.Lock()
		n.mu.closed = true
		n.mu.Unlock()
		n.stop()
		n.wg.Wait()
		n.closeSegments()
		if h := n.cur.Swap(nil); h != nil {
			err = h.lease.Release(ctx, n.stopIssuing(h))
			n.storeErrs.note(opRelease, err)
		}
		if cerr := n.cfg.Backend.Close(); cerr != nil && err == nil {
			err = cerr
		}
	})
	return err
}

// stopIssuing stops h's generator and returns the time of the last tick it
// issued, kept in the local history: nothing later is issued under h.
func (n *Node) stopIssuing(h *holding) time.Time {
	last := n.layout.TimeOf(h.gen.Stop())
	n.remember(h.gen.WorkerID(), last)
	return last
}
