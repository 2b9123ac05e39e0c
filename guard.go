package idcoord

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
)

// stepTolerance is the smallest wall-clock step counted as one: scheduling
// does not blur it, because both clocks are read at the same instant, and NTP
// slews at most 0.5ms per second.
const stepTolerance = time.Millisecond

// guard is a node's clock guard: peers, steps, and the gate on issuing.
type guard struct {
	n     *Node
	steps *clockguard.StepDetector
	// bad is non-nil while the clock may not be trusted: drift over the
	// limit. Issuing checks it on every request.
	bad atomic.Pointer[error]

	driftRefusals, rollbacks, freshWorkers atomic.Int64

	mu struct {
		sync.Mutex
		samples []clockguard.Sample
		verdict clockguard.Verdict
		checked time.Time
	}
}

func newGuard(n *Node) *guard {
	return &guard{n: n, steps: clockguard.NewStepDetector(n.cfg.Clock, n.cfg.Monotonic, stepTolerance)}
}

// err returns why the clock may not be trusted, or nil.
func (g *guard) err() error {
	if p := g.bad.Load(); p != nil {
		return *p
	}
	return nil
}

// checkPeers measures the live peers' clocks (this node excluded) and judges
// the mean offset. With no peer answering, the check passes and says so.
func (g *guard) checkPeers(ctx context.Context) error {
	peers, err := g.n.cfg.Backend.Peers(ctx)
	if err != nil {
		return err
	}
	var addrs []string
	for _, p := range peers {
		if p.Node != g.n.cfg.Node && p.Admin != "" {
			addrs = append(addrs, p.Admin)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*g.n.cfg.MaxDrift+time.Second)
	defer cancel()
	samples := clockguard.Measure(ctx, g.n.cfg.Clock, g.n.cfg.PeerProbe, addrs, g.n.cfg.MaxDrift)
	v := clockguard.Judge(samples)
	g.mu.Lock()
	g.mu.samples, g.mu.verdict, g.mu.checked = samples, v, time.Now()
	g.mu.Unlock()
	for _, s := range samples {
		if s.Err != nil {
			g.n.log.Debug("peer clock sample dropped", zap.String("peer", s.Peer), zap.Error(s.Err))
		}
	}
	if v.Used == 0 {
		g.n.log.Info("peer clock check skipped: no live peer answered", zap.Int("peers", v.Asked))
		return nil
	}
	if err := v.Check(g.n.cfg.MaxDrift); err != nil {
		g.driftRefusals.Add(1)
		return err
	}
	return nil
}

// recheck runs the periodic peer check: over the limit, the node stops
// issuing; back within it, the node issues again, and the current wall time
// counts as confirmed if at least one peer answered.
func (g *guard) recheck(ctx context.Context) {
	err := g.checkPeers(ctx)
	switch {
	case errors.Is(err, clockguard.ErrDrift):
		if g.bad.Swap(&err) == nil {
			g.n.log.Warn("not ready: clock drifts from the peers", zap.Error(err))
		}
	case err != nil:
		g.n.log.Warn("peer clock check failed", zap.Error(err))
	default:
		if g.bad.Swap(nil) != nil {
			g.n.log.Info("clock back within clock.max-drift of the peers")
		}
		// Only a peer's answer confirms the wall time. A check that no peer
		// answered passes (a lone node may run), but it vouches for
		// nothing: confirming there would let an unconfirmed forward step
		// reserve W as far ahead as the step, and the next holder of the
		// WorkerId, with a true clock, would refuse to start. Unconfirmed,
		// W stays within a window of what the monotonic clock vouches for.
		if g.answered() > 0 {
			g.steps.Confirm()
		} else if ahead := g.steps.Ahead(); ahead > stepTolerance {
			g.n.log.Warn("wall clock ahead of what the monotonic clock vouches for, and no peer answered to confirm it",
				zap.Duration("ahead", ahead))
		}
	}
}

// answered is how many peers answered the last peer check.
func (g *guard) answered() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.mu.verdict.Used
}

// observe looks for a wall-clock step since the last look. Any step gets
// the peers asked at once: after a forward step the window stays bounded by
// the monotonic clock until they confirm the new time, and a step back may
// end a drift. A backward step beyond MaxBackwardWait is also a rollback,
// and the node reacts to it before the next request fails.
func (g *guard) observe(ctx context.Context) {
	step := g.steps.Observe()
	if step == 0 {
		return
	}
	g.n.log.Warn("wall clock stepped", zap.Duration("step", step))
	if -step > g.n.cfg.MaxBackwardWait {
		g.n.signalRollback()
	}
	g.recheck(ctx)
}

// vouchedWindow is the W to reserve now: one window past the wall clock, but
// never more than one window past what the monotonic clock vouches for since
// the time was last confirmed (at start, or by a peer's answer). Every W the
// node reserves, at a claim or a refresh, comes from here.
func (g *guard) vouchedWindow() time.Time {
	now := g.n.cfg.Clock.Now()
	if v := g.steps.Vouched(); v.Before(now) {
		now = v
	}
	return now.Add(g.n.cfg.Window)
}

// ClockStatus is the clock guard's part of Status.
type ClockStatus struct {
	// PeerOffsets by admin address, in seconds (positive: peer ahead).
	PeerOffsets    map[string]float64 `json:"peer_offsets_seconds"`
	MeanOffset     float64            `json:"mean_offset_seconds"`
	PeersAnswered  int                `json:"peers_answered"`
	PeersAsked     int                `json:"peers_asked"`
	LastPeerCheck  time.Time          `json:"last_peer_check"`
	StepsForward   int64              `json:"steps_forward"`
	StepsBackward  int64              `json:"steps_backward"`
	AheadOfVouched float64            `json:"ahead_of_monotonic_seconds"`
	DriftRefusals  int64              `json:"drift_refusals"`
	Rollbacks      int64              `json:"rollbacks"`
	FreshWorkerIDs int64              `json:"fresh_worker_ids"`
}

func (g *guard) status() ClockStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	fwd, back := g.steps.Steps()
	s := ClockStatus{
		PeerOffsets:    map[string]float64{},
		MeanOffset:     g.mu.verdict.Mean.Seconds(),
		PeersAnswered:  g.mu.verdict.Used,
		PeersAsked:     g.mu.verdict.Asked,
		LastPeerCheck:  g.mu.checked.UTC(),
		StepsForward:   fwd,
		StepsBackward:  back,
		AheadOfVouched: g.steps.Ahead().Seconds(),
		DriftRefusals:  g.driftRefusals.Load(),
		Rollbacks:      g.rollbacks.Load(),
		FreshWorkerIDs: g.freshWorkers.Load(),
	}
	for _, smp := range g.mu.samples {
		if smp.Err == nil {
			s.PeerOffsets[smp.Peer] = smp.Offset.Seconds()
		}
	}
	return s
}

// errNoFreshWorker: every free WorkerID's window is ahead of the clock too.
var errNoFreshWorker = fmt.Errorf("%w: no free WorkerId whose window lies behind the clock", coord.ErrNoFreeWorker)
