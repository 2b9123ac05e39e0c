package idcoord

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// run serves from h until its lease is lost, then acquires again, until
// Close.
func (n *Node) run(ctx context.Context, h *holding) {
	defer n.wg.Done()
	for {
		n.serve(ctx, h)
		if ctx.Err() != nil {
			return
		}
		h = n.reacquire(ctx)
		if h == nil {
			return
		}
		n.cur.Store(h)
	}
}

// serve keeps h's window reserved ahead of the clock and reports the clock,
// until the lease is lost, a large rollback is seen, or ctx is done.
func (n *Node) serve(ctx context.Context, h *holding) {
	refresh := time.NewTicker(n.cfg.RefreshEvery)
	defer refresh.Stop()
	report := time.NewTicker(n.cfg.ReportEvery)
	defer report.Stop()
	peers := time.NewTimer(spread(n.cfg.PeerCheckEvery))
	defer peers.Stop()
	n.report(ctx, h)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.lease.Done():
			n.drop(ctx, h, fmt.Sprintf("lost WorkerId %d: %v", h.gen.WorkerID(), h.lease.Err()))
			return
		case <-n.rollback:
			h = n.recoverRollback(ctx, h)
		case <-refresh.C:
			n.guard.observe(ctx)
			n.reserve(ctx, h)
		case <-report.C:
			n.report(ctx, h)
		case <-peers.C:
			n.guard.recheck(ctx)
			peers.Reset(spread(n.cfg.PeerCheckEvery))
		}
	}
}

// reserve raises W to a window ahead of the clock; the generator's ceiling
// follows only once the store has acknowledged it.
func (n *Node) reserve(ctx context.Context, h *holding) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RefreshEvery)
	defer cancel()
	w := n.guard.vouchedWindow()
	if err := h.lease.Reserve(ctx, w); err != nil {
		n.storeErrs.note(opReserve, err)
		n.log.Warn("could not extend the reserved window", zap.Error(err), zap.Int64("worker-id", h.gen.WorkerID()))
		return
	}
	n.remember(h.gen.WorkerID(), w)
	h.gen.RaiseCeiling(n.layout.TickOf(w))
}

// report writes the clock to the store (leaf_forever/<node>): a restart of
// this node waits until its clock passes the last report.
func (n *Node) report(ctx context.Context, h *holding) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RefreshEvery)
	defer cancel()
	// After an unconfirmed forward step, report only what the monotonic
	// clock vouches for: a restart must not be held to a bogus future time.
	now := n.guard.vouchedNow()
	r := coord.Report{Timestamp: now.UnixMilli(), WorkerID: h.gen.WorkerID(), Admin: n.cfg.Admin}
	if err := h.lease.Report(ctx, r); err != nil {
		n.storeErrs.note(opReport, err)
		n.log.Warn("could not report the clock", zap.Error(err))
	}
}

// drop stops serving from h and gives its lease back, remembering the last
// tick issued so that later IDs of this node stay above it.
func (n *Node) drop(ctx context.Context, h *holding, reason string) {
	n.cur.CompareAndSwap(h, nil)
	last := n.stopIssuing(h)
	n.mu.Lock()
	n.mu.retired = addStats(n.mu.retired, h.gen.Stats())
	if last.After(n.mu.lastTime) {
		n.mu.lastTime = last
	}
	if reason != "" {
		n.mu.reason = &NotReadyError{Reason: ReasonLeaseLost, Detail: reason}
	}
	n.mu.Unlock()
	if reason != "" {
		n.log.Warn("not ready", zap.String("reason", reason))
	}
	if err := release(ctx, h.lease, last); err != nil {
		n.storeErrs.note(opRelease, err)
		n.log.Warn("could not release the WorkerId", zap.Error(err))
	}
}

// reacquire acquires a WorkerID again, with backoff, until it succeeds or
// ctx is done.
func (n *Node) reacquire(ctx context.Context) *holding {
	b := newBackoff()
	for {
		h, err := n.acquire(ctx, false)
		if err == nil {
			return h
		}
		if ctx.Err() != nil {
			return nil
		}
		n.setReason(reasonOf(err), err.Error())
		n.log.Warn("cannot acquire a WorkerId yet", zap.Error(err), zap.Duration("backoff", b.pause))
		if !b.wait(ctx) {
			return nil
		}
	}
}

// spread returns d give or take a quarter, at random: nodes that started
// together (a rollout, a fleet restarting after an outage) would otherwise
// list and probe their peers in the same instant every period, for good.
func spread(d time.Duration) time.Duration {
	return d*3/4 + rand.N(d/2+1)
}
