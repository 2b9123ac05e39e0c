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
	"github.com/idcoord/idcoord/snowflake"
)

// Node holds one WorkerID at a time and issues IDs with it. Its methods are
// safe for concurrent use. See the package doc for the invariant.
type Node struct {
	cfg    Config
	claim  coord.Claim
	log    *zap.Logger
	layout snowflake.Layout

	// cur is the WorkerID being served from; nil while there is none.
	cur atomic.Pointer[holding]

	guard      *guard
	history    *localHistory // nil: none kept
	rollback   chan struct{} // a large clock rollback was seen
	freshTried time.Time     // last look for a fresh WorkerId; run's goroutine only
	waitedTick int64         // last tick a wait for the clock was logged for (clock.large-rollback: wait); run's goroutine only
	stop       context.CancelFunc
	wg         sync.WaitGroup
	closing    sync.Once

	mu struct {
		sync.Mutex
		reason   *NotReadyError  // why cur is nil
		retired  snowflake.Stats // of the generators no longer in use
		lastTime time.Time       // start of the last tick issued by an earlier holding
		closed   bool
	}
}

// holding is one WorkerID lease with the generator that issues from it.
type holding struct {
	lease coord.Lease
	gen   *snowflake.Generator
	floor time.Time
	since time.Time
}

// Start acquires a WorkerID, reserves a window and returns a Node ready to
// issue. It retries an unreachable store with backoff for up to
// Config.StartTimeout, and fails at once when no WorkerID is free or the
// clock is further behind the node's history than Config.MaxStartupWait.
// On failure the Backend is closed.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		if cfg.Backend != nil {
			cfg.Backend.Close()
		}
		return nil, err
	}
	cfg = cfg.withDefaults()
	n := &Node{
		cfg:      cfg,
		claim:    coord.Claim{Node: cfg.Node, Admin: cfg.Admin, MaxWorkerID: cfg.Layout.MaxWorkerID(), Reserved: cfg.Reserved},
		log:      cfg.Logger.With(zap.String("node", cfg.Node)),
		layout:   cfg.Layout,
		rollback: make(chan struct{}, 1),
	}
	n.guard = newGuard(n)
	history, err := openLocalHistory(cfg.HistoryDir, cfg.Node, func(err error) { n.log.Warn("local history", zap.Error(err)) })
	if err != nil {
		cfg.Backend.Close()
		return nil, err
	}
	n.history = history
	n.setReason(ReasonAcquiring, "acquiring a WorkerId")
	if err := n.agreeLayout(ctx); err != nil {
		cfg.Backend.Close()
		return nil, err
	}
	h, err := n.acquireAtStart(ctx)
	if err != nil {
		cfg.Backend.Close()
		return nil, err
	}
	n.cur.Store(h)
	runCtx, stop := context.WithCancel(context.Background())
	n.stop = stop
	n.wg.Add(1)
	go n.run(runCtx, h)
	return n, nil
}

// acquireAtStart checks the clock against the peers and acquires a WorkerID,
// retrying while the store is unreachable, until StartTimeout.
func (n *Node) acquireAtStart(ctx context.Context) (*holding, error) {
	// StartTimeout bounds the retrying; the claim floor's wait (Window +
	// claimDrift, in acquire) comes on top, so that a short StartTimeout
	// does not cut every start short.
	giveUp := time.Now().Add(n.cfg.StartTimeout)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StartTimeout+n.cfg.Window+n.claimDrift())
	defer cancel()
	backoff := 100 * time.Millisecond
	var live liveName
	for {
		err := n.guard.checkPeers(ctx)
		if err != nil && errors.Is(err, clockguard.ErrDrift) {
			return nil, fmt.Errorf("%w; refusing to start", err)
		}
		var h *holding
		if err == nil {
			h, err = n.acquire(ctx, false)
		}
		if err == nil {
			return h, nil
		}
		switch {
		case errors.Is(err, coord.ErrNodeLive):
			// A node name still live in the store may be this node's own
			// crashed predecessor, whose session or lease has yet to
			// expire: retry for as long as that can take.
			if err := live.check(err, time.Now()); err != nil {
				return nil, err
			}
			n.log.Warn("node name is live; waiting for a crashed predecessor's lease to expire", zap.Error(err),
				zap.Duration("backoff", backoff))
		case errors.Is(err, coord.ErrUnreachable):
			n.log.Warn("cannot acquire yet, retrying", zap.Error(err), zap.Duration("backoff", backoff))
		default:
			return nil, err
		}
		left := time.Until(giveUp)
		if left <= 0 {
			return nil, fmt.Errorf("%w (gave up after %s)", err, n.cfg.StartTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (gave up after %s)", err, n.cfg.StartTimeout)
		case <-time.After(min(backoff, left)):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// liveNameSlack is added to how long a dead holder can keep a node name:
// the store expires leases on its own schedule, not to the millisecond.
const liveNameSlack = 2 * time.Second

// liveName follows the holder of this node's name while Start waits for a
// crashed predecessor to let go of it.
type liveName struct {
	holder string
	first  time.Time // when holder was first seen, on the monotonic clock
	until  time.Time // a dead holder has let go by then
}

// check returns nil while the name's holder may still be a crashed
// predecessor, and a refusal once the same holder has kept the name longer
// than a dead one could: it is alive. A backend that does not say who holds
// the name (or for how long) is retried until StartTimeout.
func (l *liveName) check(err error, now time.Time) error {
	var nl *coord.NodeLiveError
	if !errors.As(err, &nl) || nl.Holder == "" || nl.Within <= 0 {
		return nil
	}
	if nl.Holder != l.holder {
		l.holder, l.first, l.until = nl.Holder, now, now.Add(nl.Within+liveNameSlack)
		return nil
	}
	if now.Before(l.until) {
		return nil
	}
	return fmt.Errorf("refusing to start: still held %s after it was first seen, longer than a dead holder keeps it: %w",
		now.Sub(l.first).Round(time.Second), err)
}

// acquire claims a WorkerID, waits until the clock passes everything issued
// under it before (and the node's own history), and reserves the first
// window with one successful compare-and-swap.
//
// With fresh set, it is recovering from a clock rollback: it accepts only a
// WorkerID whose W lies behind the clock, and does not wait for the node's
// own history, because IDs under another WorkerID cannot collide with it.
func (n *Node) acquire(ctx context.Context, fresh bool) (*holding, error) {
	report, hasReport, err := n.cfg.Backend.LastReport(ctx, n.cfg.Node)
	if err != nil && !errors.Is(err, coord.ErrBadRecord) {
		return nil, err
	}
	lease, err := n.cfg.Backend.Acquire(ctx, n.claim)
	if err != nil {
		return nil, err
	}
	giveBack := func(err error) (*holding, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		lease.Release(rctx, lease.HighWater()) //nolint:errcheck // the error that made us give back matters more
		return nil, err
	}
	floor := lease.HighWater()
	// W is the floor of everything this holder issues: one no holder of
	// this layout can have written (before its epoch, past its lifetime)
	// means the true W was lost, and serving above it could repeat IDs.
	// The backend checked what holds under every layout; this adds ours.
	if !floor.IsZero() {
		bounds := coord.HighWaterBounds{Epoch: n.layout.Epoch, End: n.layout.End()}
		if err := coord.CheckHighWater(fmt.Sprintf("W of WorkerId %d", lease.WorkerID()), floor.UnixMilli(), bounds); err != nil {
			return giveBack(err)
		}
	}
	// This node's own last W under this WorkerID, kept outside the store:
	// a store restored from an older backup may hand back a W below IDs
	// this node issued. A floor only (see localHistory).
	if local := n.history.floor(lease.WorkerID()); local.After(floor) {
		n.log.Warn("the local history is ahead of the store's W: the store may have been restored from an older backup",
			zap.Int64("worker-id", lease.WorkerID()), zap.Time("store-w", floor), zap.Time("local-w", local))
		floor = local
	}
	// The claim floor: a holder of this WorkerID that the store forgot (a
	// restore from an older backup, a ZooKeeper that lost its last writes)
	// may still be issuing, cut off from the store, up to its own W. That W
	// was reserved at most one Window past its clock, and only while the
	// store still answered it, so before this claim; its clock is at most
	// claimDrift ahead of ours. No store can tell us it did not forget, so
	// every claim (Start, a reacquire, a fresh WorkerID after a rollback)
	// waits past now + Window + claimDrift before it issues. See the
	// package doc, HAZARD.
	claimFloor := n.cfg.Clock.Now().Add(n.cfg.Window + n.claimDrift())
	if fresh {
		if !floor.Before(n.cfg.Clock.Now()) {
			return giveBack(errNoFreshWorker)
		}
	} else {
		if hasReport && report.Time().After(floor) {
			floor = report.Time()
		}
		n.mu.Lock()
		if n.mu.lastTime.After(floor) {
			floor = n.mu.lastTime
		}
		n.mu.Unlock()
	}
	// The history floor may refuse (too far ahead: a large rollback); the
	// claim floor is always waited, whatever MaxStartupWait says.
	if err := n.waitPast(ctx, floor, claimFloor, lease.WorkerID()); err != nil {
		return giveBack(err)
	}
	if claimFloor.After(floor) {
		floor = claimFloor
	}
	w, err := n.windowPast(ctx, floor)
	if err != nil {
		return giveBack(err)
	}
	if err := lease.Reserve(ctx, w); err != nil {
		return giveBack(err)
	}
	n.remember(lease.WorkerID(), w)
	gen, err := snowflake.New(snowflake.Config{
		Layout:          n.layout,
		WorkerID:        lease.WorkerID(),
		Reserved:        []int64{}, // the backend enforced the reserved list
		Floor:           max(0, n.layout.TickOf(floor)),
		Ceiling:         n.layout.TickOf(w),
		Clock:           n.cfg.Clock,
		MaxBackwardWait: n.cfg.MaxBackwardWait,
	})
	if err != nil {
		return giveBack(err)
	}
	n.log.Info("serving", zap.Int64("worker-id", lease.WorkerID()), zap.Time("floor", floor), zap.Time("high-water", w))
	return &holding{lease: lease, gen: gen, floor: floor, since: time.Now()}, nil
}

// windowPast returns the first window to reserve, once it reaches past
// floor. A forward clock step no peer has confirmed ends the floor wait
// early on the wall clock, but W may reach only one Window past what the
// monotonic clock vouches for (see guard.vouchedWindow): wait on the
// monotonic clock until it does.
func (n *Node) windowPast(ctx context.Context, floor time.Time) (time.Time, error) {
	for {
		w := n.guard.vouchedWindow()
		if w.After(floor) {
			return w, nil
		}
		short := floor.Sub(w) + time.Millisecond
		n.setReason(ReasonClockAhead, fmt.Sprintf("the clock stepped forward unconfirmed; waiting %s for the monotonic clock to pass the floor",
			short.Round(time.Millisecond)))
		t := time.NewTimer(short)
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, ctx.Err()
		case <-t.C:
		}
	}
}

// waitPast waits until the clock is past both t, the history of the
// WorkerID (its W, the node's own history and last report), and claim, the
// claim floor. t may be at most MaxStartupWait ahead of the clock; further is
// a refusal (the clock is behind what was issued: a large rollback). claim is
// waited for regardless: it is at most Window + claimDrift ahead, a bound of
// the configuration, not a sign of a bad clock.
func (n *Node) waitPast(ctx context.Context, t, claim time.Time, wid int64) error {
	now := n.cfg.Clock.Now()
	if behind := t.Sub(now); behind > n.cfg.MaxStartupWait {
		return fmt.Errorf("%w: clock %s is %s behind %s, the reserved window or last report of WorkerId %d; "+
			"more than clock.max-startup-wait (%s), refusing to start",
			ErrClockBehind, now.UTC().Format(time.RFC3339Nano), behind.Round(time.Millisecond),
			t.UTC().Format(time.RFC3339Nano), wid, n.cfg.MaxStartupWait)
	}
	what, reason := "the reserved window", ReasonClockBehind
	if claim.After(t) {
		t, what, reason = claim, "the claim floor (a holder the store may have forgotten)", ReasonClaimFloor
	}
	behind := t.Sub(now)
	if behind < 0 {
		return nil
	}
	n.log.Info("waiting for the clock to pass "+what, zap.Duration("wait", behind), zap.Int64("worker-id", wid))
	n.setReason(reason, fmt.Sprintf("waiting %s for the clock to pass %s", behind.Round(time.Millisecond), what))
	for !n.cfg.Clock.Now().After(t) {
		if err := clockguard.Sleep(ctx, n.cfg.Clock, max(t.Sub(n.cfg.Clock.Now()), time.Millisecond)); err != nil {
			return err
		}
	}
	return nil
}

// claimDrift is how far another node's clock may be ahead of this one's:
// each node keeps within MaxDrift of the mean of its peers' clocks, so two
// nodes are within twice that of each other.
func (n *Node) claimDrift() time.Duration { return 2 * n.cfg.MaxDrift }

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

// signalRollback tells the serving loop that the clock went back further
// than can be waited out.
func (n *Node) signalRollback() {
	select {
	case n.rollback <- struct{}{}:
	default:
	}
}

// recoverRollback handles a large backward step of the clock under h. With
// LargeRollbackNewWorker it takes a fresh WorkerID whose window lies behind
// the clock, if one is free, and serves from it; otherwise, and always with
// LargeRollbackWait, it keeps h, whose generator refuses to issue until the
// clock passes the last ID it issued.
//
// Both keep IDs unique: h's generator never issues a tick at or below its
// last one, and a fresh WorkerID's IDs differ in the WorkerID bits from
// everything h issued, and lie above its own W (no earlier holder issued
// there). Only the wait keeps this node's IDs increasing: the fresh
// WorkerID's first IDs carry the earlier time, so they are below h's last.
func (n *Node) recoverRollback(ctx context.Context, h *holding) *holding {
	behind := n.layout.TimeOf(h.gen.LastTick()).Sub(n.cfg.Clock.Now())
	if behind <= n.cfg.MaxBackwardWait || time.Since(n.freshTried) < time.Second {
		return h // the generator waits out what is left, or we tried just now
	}
	if n.cfg.LargeRollback == LargeRollbackWait {
		// Never switch: the node's IDs must keep increasing. The generator
		// refuses ticks at or below its last until the clock passes it, and
		// Ready says so; count and log each rollback once.
		if h.gen.LastTick() == n.waitedTick {
			return h
		}
		n.waitedTick = h.gen.LastTick()
		n.guard.rollbacks.Add(1)
		n.log.Warn("clock stepped back; keeping the WorkerId and waiting for the clock to pass the last ID issued (clock.large-rollback: wait)",
			zap.Duration("behind", behind), zap.Int64("worker-id", h.gen.WorkerID()))
		return h
	}
	n.guard.rollbacks.Add(1)
	n.freshTried = time.Now()
	n.log.Warn("clock stepped back; looking for a fresh WorkerId", zap.Duration("behind", behind))
	// The fresh WorkerID serves only after its claim floor, Window +
	// claimDrift past the clock: allow for that wait.
	actx, cancel := context.WithTimeout(ctx, 5*time.Second+n.cfg.Window+n.claimDrift())
	fresh, err := n.acquire(actx, true)
	cancel()
	if err != nil {
		n.log.Warn("no fresh WorkerId; waiting for the clock to pass the last ID issued",
			zap.Error(err), zap.Duration("behind", behind))
		return h
	}
	n.guard.freshWorkers.Add(1)
	n.cur.Store(fresh)
	n.drop(ctx, h, "")
	return fresh
}

// serve keeps h's window reserved ahead of the clock and reports the clock,
// until the lease is lost, a large rollback is seen, or ctx is done.
func (n *Node) serve(ctx context.Context, h *holding) {
	refresh := time.NewTicker(n.cfg.RefreshEvery)
	defer refresh.Stop()
	report := time.NewTicker(n.cfg.ReportEvery)
	defer report.Stop()
	peers := time.NewTicker(n.cfg.PeerCheckEvery)
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
		n.log.Warn("could not extend the reserved window", zap.Error(err), zap.Int64("worker-id", h.gen.WorkerID()))
		return
	}
	n.remember(h.gen.WorkerID(), w)
	h.gen.RaiseCeiling(n.layout.TickOf(w))
}

// remember keeps w in the local history as what every ID this node issued
// under wid is at or below: a W just reserved in the store (written after
// the store acknowledged it, before the generator may use it), or the last
// tick issued once the generator has stopped. A failed write is logged, not
// fatal: the store's W still covers the IDs while the store does not forget.
func (n *Node) remember(wid int64, w time.Time) {
	if err := n.history.record(n.cfg.Node, wid, w); err != nil {
		n.log.Warn("could not keep W in the local history", zap.Error(err), zap.Int64("worker-id", wid))
	}
}

func (n *Node) report(ctx context.Context, h *holding) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RefreshEvery)
	defer cancel()
	// After an unconfirmed forward step, report only what the monotonic
	// clock vouches for: a restart must not be held to a bogus future time.
	now := n.cfg.Clock.Now()
	if v := n.guard.steps.Vouched(); v.Before(now) {
		now = v
	}
	r := coord.Report{Timestamp: now.UnixMilli(), WorkerID: h.gen.WorkerID(), Admin: n.cfg.Admin}
	if err := h.lease.Report(ctx, r); err != nil {
		n.log.Warn("could not report the clock", zap.Error(err))
	}
}

// drop stops serving from h and gives its lease back, remembering the last
// tick issued so that later IDs of this node stay above it.
func (n *Node) drop(ctx context.Context, h *holding, reason string) {
	n.cur.CompareAndSwap(h, nil)
	last := n.layout.TimeOf(h.gen.Stop())
	n.remember(h.gen.WorkerID(), last) // nothing later is issued under h
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
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := h.lease.Release(rctx, last); err != nil {
		n.log.Warn("could not release the WorkerId", zap.Error(err))
	}
}

// reacquire acquires a WorkerID again, with backoff, until it succeeds or
// ctx is done.
func (n *Node) reacquire(ctx context.Context) *holding {
	backoff := 100 * time.Millisecond
	for {
		h, err := n.acquire(ctx, false)
		if err == nil {
			return h
		}
		if ctx.Err() != nil {
			return nil
		}
		n.setReason(reasonOf(err), err.Error())
		n.log.Warn("cannot acquire a WorkerId yet", zap.Error(err), zap.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (n *Node) setReason(reason, detail string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.reason = &NotReadyError{Reason: reason, Detail: detail}
}

// NextID issues one ID. It may wait out a short clock rollback or the end of
// a tick's sequence, bounded by ctx. When the node cannot prove it is safe,
// it returns an error wrapping ErrNotReady and no ID.
func (n *Node) NextID(ctx context.Context) (int64, error) {
	h := n.cur.Load()
	if h == nil {
		return 0, n.notReady()
	}
	if err := n.guard.err(); err != nil {
		return 0, &NotReadyError{Reason: ReasonClockDrift, Detail: err.Error()}
	}
	id, err := h.gen.NextID(ctx)
	if err != nil {
		return 0, n.generatorError(err)
	}
	if !time.Now().Before(h.lease.Deadline()) {
		return 0, n.pastDeadline(h)
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
	h := n.cur.Load()
	if h == nil {
		return dst, n.notReady()
	}
	if err := n.guard.err(); err != nil {
		return dst, &NotReadyError{Reason: ReasonClockDrift, Detail: err.Error()}
	}
	out, err := h.gen.AppendIDs(ctx, dst, count)
	if err != nil {
		return dst, n.generatorError(err)
	}
	// Checked after generating: every ID returned existed before the deadline.
	if !time.Now().Before(h.lease.Deadline()) {
		return dst, n.pastDeadline(h)
	}
	return out, nil
}

// Layout returns the ID layout.
func (n *Node) Layout() snowflake.Layout { return n.layout }

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
		if h := n.cur.Swap(nil); h != nil {
			last := n.layout.TimeOf(h.gen.Stop())
			n.remember(h.gen.WorkerID(), last) // nothing later is issued under h
			err = h.lease.Release(ctx, last)
		}
		if cerr := n.cfg.Backend.Close(); cerr != nil && err == nil {
			err = cerr
		}
	})
	return err
}
