package idcoord

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/snowflake"
)

// Node holds one WorkerID at a time and issues IDs with it. Its methods are
// safe for concurrent use. See the package doc for the invariant, and for
// the file that keeps each part of it.
type Node struct {
	cfg    Config
	claim  coord.Claim
	log    *zap.Logger
	layout snowflake.Layout

	// cur is the WorkerID being served from; nil while there is none.
	cur atomic.Pointer[holding]

	guard      *guard
	storeErrs  storeErrors
	history    *localHistory      // nil: none kept
	rollback   chan struct{}      // a large clock rollback was seen
	freshTried time.Time          // last look for a fresh WorkerId; run's goroutine only
	badW       badWorkers         // WorkerIds whose W this node refused lately
	waitedTick int64              // last tick a wait for the clock was logged for (clock.large-rollback: wait); run's goroutine only
	segments   *segment.Allocator // nil: the store keeps no segments
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
		if cfg.SegmentAllocator != nil {
			cfg.SegmentAllocator.Close()
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
	n.guard = newGuard(guardConfig{
		clock:           cfg.Clock,
		monotonic:       cfg.Monotonic,
		window:          cfg.Window,
		maxDrift:        cfg.MaxDrift,
		sample:          cfg.PeerSample,
		maxBackwardWait: cfg.MaxBackwardWait,
		self:            cfg.Node,
		peers:           cfg.Backend,
		probe:           cfg.PeerProbe,
		onRollback:      n.signalRollback,
		storeErrs:       &n.storeErrs,
		log:             n.log,
	})
	history, err := openLocalHistory(cfg.HistoryDir, cfg.Node, func(err error) { n.log.Warn("local history", zap.Error(err)) })
	if err != nil {
		n.closeStores()
		return nil, err
	}
	n.history = history
	if err := n.startSegments(); err != nil {
		n.closeStores()
		return nil, err
	}
	n.setReason(ReasonAcquiring, "acquiring a WorkerId")
	if err := n.agreeLayout(ctx); err != nil {
		n.closeStores()
		return nil, err
	}
	h, err := n.acquireAtStart(ctx)
	if err != nil {
		n.closeStores()
		return nil, err
	}
	n.cur.Store(h)
	runCtx, stop := context.WithCancel(context.Background())
	n.stop = stop
	n.wg.Add(1)
	go n.run(runCtx, h)
	return n, nil
}

// closeStores closes what a failed Start owns: the Backend, and the
// segment allocator it was given or opened.
func (n *Node) closeStores() {
	switch {
	case n.segments != nil:
		n.segments.Close()
	case n.cfg.SegmentAllocator != nil:
		n.cfg.SegmentAllocator.Close()
	}
	n.cfg.Backend.Close()
}

// Layout returns the ID layout.
func (n *Node) Layout() snowflake.Layout { return n.layout }
