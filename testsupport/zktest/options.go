package zktest

import (
	"fmt"
	"math"
	"time"
)

// DefaultTickTime is ZooKeeper's tickTime when Options.TickTime is zero.
const DefaultTickTime = 2 * time.Second

// Ensemble defaults, in ticks, as ZooKeeper's sample configuration sets them
// (a quorum member refuses to start without them).
const (
	DefaultInitLimit = 10
	DefaultSyncLimit = 5
)

// Options tunes the server. The zero value means ZooKeeper's defaults.
//
// The server clamps the session timeout a client asks for into
// [MinSessionTimeout, MaxSessionTimeout], so a test that wants a short
// session (2-4s) lowers TickTime or MinSessionTimeout, for example
// Options{TickTime: 500 * time.Millisecond, MinSessionTimeout: time.Second}.
type Options struct {
	// TickTime is ZooKeeper's basic time unit: heartbeats, and the default
	// session bounds. Zero means 2s.
	TickTime time.Duration
	// MinSessionTimeout is the shortest session the server grants. Zero
	// means 2×TickTime.
	MinSessionTimeout time.Duration
	// MaxSessionTimeout is the longest session the server grants. Zero
	// means 20×TickTime.
	MaxSessionTimeout time.Duration
	// JVMFlags are extra java flags, placed after this package's defaults so
	// they can override them.
	JVMFlags []string
	// InitLimit is how many ticks a follower may take to connect to its
	// leader and catch up. Ensembles only; zero means DefaultInitLimit.
	InitLimit int
	// SyncLimit is how many ticks a follower and its leader may go without
	// hearing from each other before they part. A follower cut off from its
	// leader keeps serving reads from its own copy for up to
	// SyncLimit × TickTime. Ensembles only; zero means DefaultSyncLimit.
	SyncLimit int
	// MaxClientCnxns is how many connections one client address may hold
	// to the server. Zero means ZooKeeper's default, 60; -1 means no limit
	// (a test that runs more in-process nodes than that on loopback).
	MaxClientCnxns int
}

// Validate reports whether the options can configure a server: durations
// are whole milliseconds, not negative, fit ZooKeeper's int fields, and the
// session bounds are in order once defaults are applied. Errors wrap
// ErrOptions.
func (o Options) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"TickTime", o.TickTime},
		{"MinSessionTimeout", o.MinSessionTimeout},
		{"MaxSessionTimeout", o.MaxSessionTimeout},
	} {
		switch {
		case f.d < 0:
			return fmt.Errorf("%w: %s is %v; it must be zero (default) or positive", ErrOptions, f.name, f.d)
		case f.d%time.Millisecond != 0:
			return fmt.Errorf("%w: %s is %v; ZooKeeper counts whole milliseconds", ErrOptions, f.name, f.d)
		case f.d.Milliseconds() > math.MaxInt32/20:
			return fmt.Errorf("%w: %s is %v; at most %v fits ZooKeeper's settings", ErrOptions, f.name, f.d, time.Duration(math.MaxInt32/20)*time.Millisecond)
		}
	}
	for _, f := range []struct {
		name  string
		ticks int
	}{{"InitLimit", o.InitLimit}, {"SyncLimit", o.SyncLimit}} {
		if f.ticks < 0 || f.ticks > math.MaxInt32 {
			return fmt.Errorf("%w: %s is %d; it must be zero (default) or a positive number of ticks", ErrOptions, f.name, f.ticks)
		}
	}
	if o.MaxClientCnxns < -1 || o.MaxClientCnxns > math.MaxInt32 {
		return fmt.Errorf("%w: MaxClientCnxns is %d; it must be zero (default), -1 (no limit) or positive", ErrOptions, o.MaxClientCnxns)
	}
	d := o.withDefaults()
	if d.MinSessionTimeout > d.MaxSessionTimeout {
		return fmt.Errorf("%w: MinSessionTimeout %v is above MaxSessionTimeout %v (TickTime %v)",
			ErrOptions, d.MinSessionTimeout, d.MaxSessionTimeout, d.TickTime)
	}
	return nil
}

// withDefaults fills zero fields with ZooKeeper's defaults.
func (o Options) withDefaults() Options {
	if o.TickTime == 0 {
		o.TickTime = DefaultTickTime
	}
	if o.MinSessionTimeout == 0 {
		o.MinSessionTimeout = 2 * o.TickTime
	}
	if o.MaxSessionTimeout == 0 {
		o.MaxSessionTimeout = 20 * o.TickTime
	}
	if o.InitLimit == 0 {
		o.InitLimit = DefaultInitLimit
	}
	if o.SyncLimit == 0 {
		o.SyncLimit = DefaultSyncLimit
	}
	return o
}
