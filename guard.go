package idcoord

import (
	"context"
	"errors"
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

// guardConfig is what the clock guard reads: the clocks it compares, the
// limits it holds them to, and where to find the peers. Start fills it in
// from Config.
type guardConfig struct {
	clock     clockguard.WallClock // the wall clock IDs carry
	monotonic clockguard.Monotonic // what wall-clock steps are measured against
	// window is how far past the clock W is reserved (vouchedWindow).
	window time.Duration
	// maxDrift bounds the median offset from the sampled peers' clocks, a
	// sample's distance from that median (further, it is wild), and a
	// sample's round trip.
	maxDrift time.Duration
	// sample is how many live peers a check asks, drawn at random.
	sample int
	// maxBackwardWait is the largest backward step the generator waits
	// out; a larger one is a rollback, reported through onRollback.
	maxBackwardWait time.Duration
	self            string     // this node's name, left out of its peers
	peers           peerLister // the cluster's live nodes: the Backend
	probe           clockguard.PeerProbe
	onRollback      func()
	storeErrs       *storeErrors // counts a failed peer listing
	log             *zap.Logger
}

// peerLister lists the cluster's live nodes, this one included, as
// coord.Backend does.
type peerLister interface {
	Peers(ctx context.Context) ([]coord.Peer, error)
}

// guard is a node's clock guard: peers, steps, and the gate on issuing.
type guard struct {
	cfg   guardConfig
	steps *clockguard.StepDetector
	// bad is non-nil while the clock may not be trusted: drift over the
	// limit. Issuing checks it on every request.
	bad atomic.Pointer[error]

	driftRefusals, rollbacks, freshWorkers, wildSamples atomic.Int64

	mu struct {
		sync.Mutex
		samples []clockguard.Sample
		verdict clockguard.Verdict
		asked   []coord.Peer // the sampled peers, in the samples' order
		live    int          // the live peers they were drawn from
		checked time.Time
		// peersHolding is how many WorkerIds the other live nodes held at
		// the last peer listing.
		peersHolding int
	}
}

func newGuard(cfg guardConfig) *guard {
	return &guard{cfg: cfg, steps: clockguard.NewStepDetector(cfg.clock, cfg.monotonic, stepTolerance)}
}

// refusal returns why the clock may not be trusted now, as a
// *NotReadyError, or nil.
func (g *guard) refusal() error {
	if p := g.bad.Load(); p != nil {
		return &NotReadyError{Reason: ReasonClockDrift, Detail: (*p).Error()}
	}
	return nil
}

// checkPeers measures the clocks of a random sample of the live peers (this
// node excluded, at most cfg.sample of them) and judges the median offset.
// Samples further than maxDrift from the median are wild: reported, and set
// apart. With no peer answering, the check passes and says so.
func (g *guard) checkPeers(ctx context.Context) error {
	asked, live, holding, err := g.drawPeers(ctx)
	if err != nil {
		g.cfg.storeErrs.note(opPeers, err)
		return err
	}
	g.mu.Lock()
	g.mu.peersHolding = holding
	g.mu.Unlock()
	addrs := make([]string, len(asked))
	for i, p := range asked {
		addrs[i] = p.Admin
	}
	ctx, cancel := context.WithTimeout(ctx, 2*g.cfg.maxDrift+time.Second)
	defer cancel()
	samples := clockguard.Measure(ctx, g.cfg.clock, g.cfg.probe, addrs, g.cfg.maxDrift)
	v := clockguard.JudgeWithin(samples, g.cfg.maxDrift)
	g.mu.Lock()
	g.mu.samples, g.mu.verdict, g.mu.asked, g.mu.live, g.mu.checked = samples, v, asked, live, time.Now()
	g.mu.Unlock()
	for i, s := range samples {
		if s.Err != nil {
			g.cfg.log.Debug("peer clock sample dropped", zap.String("peer_node", asked[i].Node),
				zap.String("peer", s.Peer), zap.Error(s.Err))
		}
	}
	g.reportWild(asked, samples, v)
	if v.Used == 0 {
		g.cfg.log.Info("peer clock check skipped: no live peer answered", zap.Int("peers", v.Asked), zap.Int("live", live))
		return nil
	}
	if err := v.Check(g.cfg.maxDrift); err != nil {
		g.driftRefusals.Add(1)
		return err
	}
	return nil
}

// reportWild counts and logs each wild sample of a check, naming the peer.
func (g *guard) reportWild(asked []coord.Peer, samples []clockguard.Sample, v clockguard.Verdict) {
	g.wildSamples.Add(int64(len(v.Wild)))
	for _, i := range v.Wild {
		s := samples[i]
		g.cfg.log.Warn("wild peer clock set apart: further than clock.max-drift from the median of the sample",
			zap.String("peer_node", asked[i].Node), zap.String("peer", s.Peer),
			zap.Duration("offset", s.Offset), zap.Duration("median", v.Median), zap.Int("sampled", v.Asked))
	}
}

// recheck runs the periodic peer check: over the limit, the node stops
// issuing; back within it, the node issues again, and the current wall time
// counts as confirmed if at least one peer answered.
func (g *guard) recheck(ctx context.Context) {
	err := g.checkPeers(ctx)
	switch {
	case errors.Is(err, clockguard.ErrDrift):
		if g.bad.Swap(&err) == nil {
			g.cfg.log.Warn("not ready: clock drifts from the peers", zap.Error(err))
		}
	case err != nil:
		g.cfg.log.Warn("peer clock check failed", zap.Error(err))
	default:
		if g.bad.Swap(nil) != nil {
			g.cfg.log.Info("clock back within clock.max-drift of the peers")
		}
		// Only a peer's answer confirms the wall time. A check that no peer
		// answered passes (a lone node may run), but it vouches for
		// nothing: confirming there would let an unconfirmed forward step
		// reserve W as far ahead as the step, and the next holder of the
		// WorkerId, with a true clock, would refuse to start. Unconfirmed,
		// W stays within a window of what the monotonic clock vouches for.
		if g.agreeing() > 0 {
			g.steps.Confirm()
		} else if ahead := g.steps.Ahead(); ahead > stepTolerance {
			g.cfg.log.Warn("wall clock ahead of what the monotonic clock vouches for, and no peer answered to confirm it",
				zap.Duration("ahead", ahead))
		}
	}
}

// drawPeers draws the peers a check asks: at most cfg.sample live peers
// other than this node that have an admin address, how many such peers
// there are, and how many WorkerIds the other live nodes hold. A backend
// that samples (coord.PeerSampler) reads only the sample; otherwise every
// peer record is listed and the sample drawn from the listing.
func (g *guard) drawPeers(ctx context.Context) (asked []coord.Peer, live, holding int, err error) {
	eligible := func(p coord.Peer) bool { return p.Node != g.cfg.self && p.Admin != "" }
	if s, ok := g.cfg.peers.(coord.PeerSampler); ok {
		sample, others, err := s.SamplePeers(ctx, g.cfg.sample, g.cfg.self)
		if err != nil {
			return nil, 0, 0, err
		}
		for _, p := range sample {
			if eligible(p) {
				asked = append(asked, p)
			}
		}
		// Every live node holds one WorkerId (two for a moment while it
		// changes it).
		return asked, others, others, nil
	}
	peers, err := g.cfg.peers.Peers(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	held := map[int64]bool{} // WorkerIds of the other live nodes
	for _, p := range peers {
		if p.Node == g.cfg.self {
			continue
		}
		if eligible(p) {
			live++
		}
		if p.WorkerID >= 0 {
			held[p.WorkerID] = true
		}
	}
	return clockguard.SamplePeers(nil, peers, g.cfg.sample, eligible), live, len(held), nil
}

// agreeing is how many peers answered the last peer check within
// clock.max-drift of its median: a wild answer confirms nothing.
func (g *guard) agreeing() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.mu.verdict.Agreeing()
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
	g.cfg.log.Warn("wall clock stepped", zap.Duration("step", step))
	if -step > g.cfg.maxBackwardWait {
		g.cfg.onRollback()
	}
	g.recheck(ctx)
}

// vouchedWindow is the W to reserve now: one window past the wall clock, but
// never more than one window past what the monotonic clock vouches for since
// the time was last confirmed (at start, or by a peer's answer). Every W the
// node reserves, at a claim or a refresh, comes from here.
func (g *guard) vouchedWindow() time.Time { return g.vouchedNow().Add(g.cfg.window) }

// vouchedNow is the wall clock, but no later than what the monotonic clock
// vouches for since the time was last confirmed.
func (g *guard) vouchedNow() time.Time {
	now := g.cfg.clock.Now()
	if v := g.steps.Vouched(); v.Before(now) {
		now = v
	}
	return now
}

// peersHolding is how many WorkerIds the other live nodes held at the last
// peer listing (this node left out).
func (g *guard) peersHolding() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.mu.peersHolding
}

// ClockStatus is the clock guard's part of Status.
type ClockStatus struct {
	// PeerOffsets by admin address, in seconds (positive: peer ahead): the
	// peers of the last check's sample that answered, wild ones included.
	PeerOffsets map[string]float64 `json:"peer_offsets_seconds"`
	// MedianOffset is the verdict of the last check; MeanOffset the mean of
	// its samples that are not wild.
	MedianOffset float64 `json:"median_offset_seconds"`
	MeanOffset   float64 `json:"mean_offset_seconds"`
	// PeersLive is how many live peers the last sample was drawn from,
	// PeersAsked how many were sampled and asked, PeersAnswered how many
	// answered in time.
	PeersLive     int `json:"peers_live"`
	PeersAnswered int `json:"peers_answered"`
	PeersAsked    int `json:"peers_asked"`
	// WildPeers are the last check's samples set apart, further than
	// clock.max-drift from its median; WildSamples counts them since Start.
	WildPeers      []WildPeer `json:"wild_peers"`
	WildSamples    int64      `json:"wild_samples"`
	LastPeerCheck  time.Time  `json:"last_peer_check"`
	StepsForward   int64      `json:"steps_forward"`
	StepsBackward  int64      `json:"steps_backward"`
	AheadOfVouched float64    `json:"ahead_of_monotonic_seconds"`
	DriftRefusals  int64      `json:"drift_refusals"`
	Rollbacks      int64      `json:"rollbacks"`
	FreshWorkerIDs int64      `json:"fresh_worker_ids"`
}

// WildPeer is a peer whose clock sample was set apart as wild.
type WildPeer struct {
	Node          string  `json:"node"`
	Admin         string  `json:"admin"`
	OffsetSeconds float64 `json:"offset_seconds"`
}

func (g *guard) status() ClockStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	fwd, back := g.steps.Steps()
	v := g.mu.verdict
	s := ClockStatus{
		PeerOffsets:    map[string]float64{},
		MedianOffset:   v.Median.Seconds(),
		MeanOffset:     v.Mean.Seconds(),
		PeersLive:      g.mu.live,
		PeersAnswered:  v.Used,
		PeersAsked:     v.Asked,
		WildPeers:      []WildPeer{},
		WildSamples:    g.wildSamples.Load(),
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
	for _, i := range v.Wild {
		smp := g.mu.samples[i]
		s.WildPeers = append(s.WildPeers, WildPeer{Node: g.mu.asked[i].Node, Admin: smp.Peer, OffsetSeconds: smp.Offset.Seconds()})
	}
	return s
}
