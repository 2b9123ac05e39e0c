// Package idcoord issues 64-bit, time-ordered IDs that are unique across a
// fleet of nodes, coordinated through etcd or ZooKeeper.
//
// A Node holds one WorkerID, leased from a coord.Backend, and issues IDs
// from a snowflake.Generator inside a time window it has reserved in the
// store. IDs are generated in-process; the store is touched about once a
// second to extend the reservation, never per ID.
//
// # The invariant
//
// No two IDs are ever equal, across nodes, restarts, WorkerID reuse, pauses,
// partitions and clock steps; and a node's IDs increase while it holds a
// WorkerID. A Node issues an ID with tick ts only when
//
//	floor < ts <= W   and   now is before the lease deadline
//
// where W is the reservation persisted (by compare-and-swap, while the node
// still owns the WorkerID) before any ID up to it is issued, and floor is the
// W the node read when it claimed the WorkerID. When it cannot prove this, it
// returns an error wrapping ErrNotReady and issues nothing.
//
// Both sides of that rule read IDs in one layout. So a cluster has one: its
// first node stores its layout in the store, and a node whose layout differs
// in any field (bits, tick, epoch) refuses to start, before it claims a
// WorkerID, with an error wrapping coord.ErrLayoutMismatch that names both.
// Two layouts in one cluster repeat IDs: WorkerID 4 with 12 sequence bits
// sets the same bit as WorkerID 1 with 14 (4<<12 == 1<<14).
//
// # A large backward clock step
//
// A backward step the node may not wait out (beyond MaxBackwardWait) leaves
// two safe choices, and Config.LargeRollback picks one. Neither can repeat an
// ID: the generator never issues at or below the last tick it issued.
//
//   - LargeRollbackNewWorker (the default) moves to a fresh WorkerID whose W
//     lies behind the clock, if one is free, and serves at once. Its IDs
//     differ from the old ones in the WorkerID bits, so they are unique; but
//     they carry the earlier time, so the node's next IDs are below its last
//     ones. IDs increase per WorkerID holding, not per node.
//   - LargeRollbackWait keeps the WorkerID and is not ready until the clock
//     passes the last ID issued: the node's IDs keep increasing.
//
// # A forward clock step
//
// W is never reserved further than one Window past what the monotonic clock
// vouches for since the wall time was last confirmed (at start, or by a
// peer's answer). A peer check that no peer answers confirms nothing, so a
// lone node whose clock jumps an hour ahead stays not ready with W near the
// true time, and the next holder of its WorkerID is not held an hour back.
//
// HAZARD: the window is wall-clock time. A node whose clock is far off its
// peers could hand out IDs inside a window another holder already used, had
// it not been for the floor it read from the store; the clock guard refuses
// to start such a node, and the generator refuses backward steps.
package idcoord
