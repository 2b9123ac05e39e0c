package idcoord

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/snowflake"
)

// Reasons a node is not ready, as NotReadyError.Reason. They are stable
// identifiers, fit for metric labels and alerts.
const (
	// ReasonAcquiring: the node is acquiring a WorkerID.
	ReasonAcquiring = "acquiring"
	// ReasonNoWorkerID: no WorkerID is free; the node keeps trying.
	ReasonNoWorkerID = "no_worker_id"
	// ReasonStoreUnreachable: the store cannot be reached to acquire.
	ReasonStoreUnreachable = "store_unreachable"
	// ReasonLeaseLost: the WorkerID was lost (revoked, expired, taken over).
	ReasonLeaseLost = "lease_lost"
	// ReasonLeaseDeadline: no keepalive was acknowledged in time; the lease
	// may still be alive, but ownership cannot be proven.
	ReasonLeaseDeadline = "lease_deadline"
	// ReasonWindowExpired: the clock passed the reserved window W because
	// the store did not acknowledge a raise in time.
	ReasonWindowExpired = "window_expired"
	// ReasonClockDrift: the clock is off the peers' mean by more than
	// clock.max-drift.
	ReasonClockDrift = "clock_drift"
	// ReasonClockBehind: the clock is behind the last ID issued or the
	// reserved window it must pass.
	ReasonClockBehind = "clock_behind"
	// ReasonClaimFloor: the node has claimed a WorkerID and waits, once per
	// claim, for its clock to pass the claim floor: the longest a holder
	// the store may have forgotten could still issue under it.
	ReasonClaimFloor = "claim_floor"
	// ReasonClockAhead: the clock stepped forward and the peers have not
	// confirmed the new time.
	ReasonClockAhead = "clock_ahead"
)

// NotReadyError says why a node cannot issue IDs now. It matches ErrNotReady
// with errors.Is.
type NotReadyError struct {
	Reason string // one of the Reason constants
	Detail string // the numbers that matter
}

func (e *NotReadyError) Error() string { return "idcoord: not ready: " + e.Detail }

// Is makes errors.Is(err, ErrNotReady) true.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }

// reasonOf classifies an acquisition error.
func reasonOf(err error) string {
	switch {
	case errors.Is(err, coord.ErrNoFreeWorker):
		return ReasonNoWorkerID
	case errors.Is(err, ErrClockBehind):
		return ReasonClockBehind
	case errors.Is(err, coord.ErrUnreachable):
		return ReasonStoreUnreachable
	}
	return ReasonAcquiring
}

func (n *Node) generatorError(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, snowflake.ErrClockRollback):
		n.signalRollback()
		return &NotReadyError{Reason: ReasonClockBehind, Detail: err.Error()}
	case errors.Is(err, snowflake.ErrCeiling):
		if err := n.Ready(); err != nil {
			return err
		}
		return &NotReadyError{Reason: ReasonWindowExpired, Detail: err.Error()}
	}
	return &NotReadyError{Reason: ReasonLeaseLost, Detail: err.Error()}
}

// checkDeadline refuses once h's lease deadline has passed: the lease may
// still be alive, but ownership of the WorkerID can no longer be proven.
func (n *Node) checkDeadline(h *holding) error {
	if !time.Now().Before(h.lease.Deadline()) {
		return n.pastDeadline(h)
	}
	return nil
}

func (n *Node) pastDeadline(h *holding) error {
	return &NotReadyError{Reason: ReasonLeaseDeadline, Detail: fmt.Sprintf(
		"lease of WorkerId %d passed its deadline %s ago (store unreachable?)",
		h.gen.WorkerID(), time.Since(h.lease.Deadline()).Round(time.Millisecond))}
}

// setReason says why the node is not ready while it holds no WorkerID.
func (n *Node) setReason(reason, detail string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.reason = &NotReadyError{Reason: reason, Detail: detail}
}

func (n *Node) notReady() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.closed {
		return ErrClosed
	}
	return n.mu.reason
}

// Ready returns nil while the node can issue IDs, else a *NotReadyError (or
// ErrClosed) that says why.
func (n *Node) Ready() error {
	h := n.cur.Load()
	if h == nil {
		return n.notReady()
	}
	if err := n.checkDeadline(h); err != nil {
		return err
	}
	if err := n.guard.refusal(); err != nil {
		return err
	}
	now := n.cfg.Clock.Now()
	if behind := n.layout.TimeOf(h.gen.LastTick()).Sub(now); behind > n.cfg.MaxBackwardWait {
		return &NotReadyError{Reason: ReasonClockBehind, Detail: fmt.Sprintf(
			"the clock is %s behind the last ID issued; waiting for it to pass", behind.Round(time.Millisecond))}
	}
	if n.layout.TickOf(now) > h.gen.Ceiling() {
		if ahead := n.guard.steps.Ahead(); ahead > n.cfg.Window {
			return &NotReadyError{Reason: ReasonClockAhead, Detail: fmt.Sprintf(
				"the clock stepped %s ahead of what the monotonic clock vouches for; "+
					"the window stays behind until the peers confirm the new time", ahead.Round(time.Millisecond))}
		}
		return &NotReadyError{Reason: ReasonWindowExpired, Detail: fmt.Sprintf(
			"the clock passed the reserved window W %s (store slow or unreachable)",
			n.layout.TimeOf(h.gen.Ceiling()+1).Format(time.RFC3339Nano))}
	}
	return nil
}
