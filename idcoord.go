package idcoord

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/snowflake"
)

// Errors returned by a Node; test them with errors.Is.
var (
	// ErrNotReady: the node cannot prove it is safe to issue right now (no
	// WorkerID, fenced, past its reserved window, clock rolled back). It may
	// recover by itself.
	ErrNotReady = errors.New("idcoord: not ready")
	// ErrClockBehind: the clock is further behind the node's own history (the
	// reserved window W or its last report) than the node may wait.
	ErrClockBehind = errors.New("idcoord: clock is behind the reserved window")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("idcoord: node closed")
	// ErrBadCount: a batch of fewer than one ID was asked for.
	ErrBadCount = errors.New("idcoord: count must be at least 1")
	// ErrLargeRollback: Config.LargeRollback names no policy.
	ErrLargeRollback = errors.New("idcoord: unknown large-rollback policy")
)

// Defaults for Config's zero fields.
const (
	DefaultWindow          = 3 * time.Second
	DefaultRefreshEvery    = time.Second
	DefaultReportEvery     = 3 * time.Second
	DefaultMaxStartupWait  = 10 * time.Second
	DefaultStartTimeout    = 30 * time.Second
	DefaultMaxBackwardWait = snowflake.DefaultMaxBackwardWait
	DefaultMaxDrift        = time.Second
	DefaultPeerCheckEvery  = 30 * time.Second
	DefaultPeerSample      = clockguard.DefaultSampleSize
)

// LargeRollback is what a running node does after its clock steps back
// further than MaxBackwardWait. Either way it issues nothing at or below the
// last ID of the WorkerID it serves from, so no ID repeats; the choice is
// between serving again at once and keeping its own IDs increasing.
type LargeRollback string

const (
	// LargeRollbackNewWorker takes a fresh WorkerID whose W lies behind the
	// clock, if one is free, and serves from it at once. The node's next IDs
	// are then below its last ones (they carry the earlier time, under
	// another WorkerID): unique, but no longer increasing for this node. With
	// no such WorkerID free, it waits as LargeRollbackWait does. The default.
	LargeRollbackNewWorker LargeRollback = "new-worker"
	// LargeRollbackWait never switches: the node keeps its WorkerID and is
	// not ready until the clock passes the last ID it issued, so its IDs keep
	// increasing.
	LargeRollbackWait LargeRollback = "wait"
)

// Validate says whether r is one of the policies; the empty value is
// LargeRollbackNewWorker.
func (r LargeRollback) Validate() error {
	switch r {
	case "", LargeRollbackNewWorker, LargeRollbackWait:
		return nil
	}
	return fmt.Errorf("%w: %q; it must be %q (a fresh WorkerId, the node's IDs may go down) or %q (keep the WorkerId, not ready until the clock passes the last ID)",
		ErrLargeRollback, string(r), LargeRollbackNewWorker, LargeRollbackWait)
}

// Config configures a Node. Zero fields take the defaults above.
type Config struct {
	// Backend is the coordination store. The Node owns it from Start on and
	// closes it in Close. Required.
	Backend coord.Backend
	// Node is this node's stable identity. Empty means the hostname.
	Node string
	// Admin is the address peers use to reach this node's admin listener.
	Admin string
	// Layout of the IDs. Zero means snowflake.Twitter().
	Layout snowflake.Layout
	// DatacenterID is stamped into the datacenter field of every ID: it must
	// fit Layout.DatacenterBits (only 0 when the layout has no such field).
	// A cluster is one datacenter: the cluster's stored layout holds this
	// value, and a node with another one refuses to start (see Start).
	// Clusters of different datacenters, each on its own store, hand out
	// the same WorkerIDs and still never repeat each other's IDs.
	DatacenterID int64
	// Reserved WorkerIDs are never claimed. Nil means [0].
	Reserved []int64
	// HistoryDir is a folder of the node's own (data-dir) where it keeps the
	// last W it reserved under each WorkerID, and the highest segment it took
	// per tag: floors that survive a store restored from an older backup.
	// Empty means none is kept.
	HistoryDir string
	// Clock gives wall time. Nil means the system clock.
	Clock clockguard.WallClock
	// Window is how far ahead of the clock W is reserved; RefreshEvery is how
	// often it is raised. RefreshEvery must be below Window. Every claim of a
	// WorkerID waits Window + 2×MaxDrift before it issues (the claim floor:
	// see the package doc, "A store that forgets").
	Window, RefreshEvery time.Duration
	// ReportEvery is the period of the clock report, leaf_forever/<node>.
	ReportEvery time.Duration
	// MaxBackwardWait is the largest backward clock step waited out while
	// running. Zero means DefaultMaxBackwardWait (5ms); negative means none
	// is waited out.
	MaxBackwardWait time.Duration
	// LargeRollback is what the node does after a backward step larger than
	// MaxBackwardWait. Empty means LargeRollbackNewWorker.
	LargeRollback LargeRollback
	// MaxStartupWait is how far behind its own history (W, last report) the
	// clock may be at start and still be waited out. Zero means
	// DefaultMaxStartupWait (10s); negative means none is waited out: the
	// node refuses to start whenever its clock is behind its history. It
	// does not bound the claim floor's wait (Window + 2×MaxDrift), which
	// every claim waits out.
	MaxStartupWait time.Duration
	// StartTimeout bounds retrying an unreachable store at Start. The claim
	// floor's wait comes on top: Start may take up to StartTimeout + Window +
	// 2×MaxDrift.
	StartTimeout time.Duration
	// MaxDrift is the largest offset from the median of the sampled peers'
	// clocks the node starts and stays ready with. Peer samples whose round
	// trip exceeds it are dropped; samples further than it from the median
	// are wild, reported and set apart. Two nodes' clocks are then within
	// 2×MaxDrift, which every claim waits on top of Window.
	MaxDrift time.Duration
	// PeerCheckEvery is the period of the peer clock check while running,
	// give or take a quarter at random, so that nodes started together do
	// not all check in the same instant.
	PeerCheckEvery time.Duration
	// PeerSample is how many live peers each peer clock check asks, drawn
	// at random afresh each time. Zero means DefaultPeerSample (12); below
	// 3, a single wild peer can sway the verdict (see package clockguard).
	PeerSample int
	// PeerProbe reads a peer's clock from its admin address. Nil means
	// clockguard.HTTPProbe (GET http://<admin>/clock).
	PeerProbe clockguard.PeerProbe
	// Monotonic is the clock that wall-clock steps are measured against.
	// Nil means the process's monotonic clock.
	Monotonic clockguard.Monotonic
	// Segments configures the segment allocator the node opens when it
	// starts. Its Store nil means the Backend, when it keeps segment records
	// (coord.SegmentStore); its Logger nil means Logger's; its Floors nil
	// means a file in HistoryDir (SegmentFloorsPath), or none without one.
	Segments segment.Config
	// SegmentAllocator, when set, is the allocator the node serves segment
	// IDs from instead of opening one with Segments: segment IDs need no
	// WorkerID, so a caller may open it first and serve them while Start
	// waits. The node owns it from Start on: Close closes it, and so does
	// a failed Start.
	SegmentAllocator *segment.Allocator
	// Logger; nil means no logging.
	Logger *zap.Logger
}

// DefaultConfig returns a Config with every default filled in but Backend.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		Node:            host,
		Layout:          snowflake.Twitter(),
		Reserved:        snowflake.DefaultReserved,
		Clock:           clockguard.System{},
		Window:          DefaultWindow,
		RefreshEvery:    DefaultRefreshEvery,
		ReportEvery:     DefaultReportEvery,
		MaxBackwardWait: DefaultMaxBackwardWait,
		LargeRollback:   LargeRollbackNewWorker,
		MaxStartupWait:  DefaultMaxStartupWait,
		StartTimeout:    DefaultStartTimeout,
		MaxDrift:        DefaultMaxDrift,
		PeerCheckEvery:  DefaultPeerCheckEvery,
		PeerSample:      DefaultPeerSample,
		PeerProbe:       clockguard.HTTPProbe(nil),
		Monotonic:       clockguard.SystemMonotonic,
		Logger:          zap.NewNop(),
	}
}

// withDefaults returns c with its zero fields filled in.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Node == "" {
		c.Node = d.Node
	}
	if c.Layout == (snowflake.Layout{}) {
		c.Layout = d.Layout
	}
	if c.Reserved == nil {
		c.Reserved = d.Reserved
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	for _, f := range []struct {
		v *time.Duration
		d time.Duration
	}{
		{&c.Window, d.Window}, {&c.RefreshEvery, d.RefreshEvery}, {&c.ReportEvery, d.ReportEvery},
		{&c.MaxBackwardWait, d.MaxBackwardWait}, {&c.MaxStartupWait, d.MaxStartupWait}, {&c.StartTimeout, d.StartTimeout},
		{&c.MaxDrift, d.MaxDrift}, {&c.PeerCheckEvery, d.PeerCheckEvery},
	} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	if c.LargeRollback == "" {
		c.LargeRollback = d.LargeRollback
	}
	if c.PeerProbe == nil {
		c.PeerProbe = d.PeerProbe
	}
	if c.PeerSample == 0 {
		c.PeerSample = d.PeerSample
	}
	if c.Monotonic == nil {
		c.Monotonic = d.Monotonic
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}

// Validate checks c with its defaults filled in.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Backend == nil:
		return errors.New("idcoord: config has no Backend")
	case c.Node == "":
		return errors.New("idcoord: node name is empty and the hostname is unknown")
	case c.RefreshEvery >= c.Window:
		return fmt.Errorf("idcoord: refresh period %s must be below the window %s", c.RefreshEvery, c.Window)
	case c.StartTimeout < 0 || c.ReportEvery < 0 || c.MaxDrift < 0 || c.PeerCheckEvery < 0:
		return errors.New("idcoord: negative durations are not allowed")
	case c.PeerSample < 0:
		return fmt.Errorf("idcoord: peer sample %d must be positive", c.PeerSample)
	}
	if err := c.LargeRollback.Validate(); err != nil {
		return err
	}
	if err := c.Layout.Validate(); err != nil {
		return err
	}
	if err := c.Layout.ValidateDatacenterID(c.DatacenterID); err != nil {
		return fmt.Errorf("idcoord: datacenter ID: %w", err)
	}
	if err := c.Layout.ValidateReserved(c.Reserved); err != nil {
		return fmt.Errorf("idcoord: reserved WorkerIds: %w", err)
	}
	return nil
}
