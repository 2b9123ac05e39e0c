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
// still owns the WorkerID) before any ID up to it is issued, and floor is at
// least the W the node read when it claimed the WorkerID and at least its
// claim floor (below). When it cannot prove this, it returns an error
// wrapping ErrNotReady and issues nothing.
//
// Both sides of that rule read IDs in one layout. So a cluster has one: its
// first node stores its layout in the store, and a node whose layout differs
// in any field (bits, tick, epoch) refuses to start, before it claims a
// WorkerID, with an error wrapping coord.ErrLayoutMismatch that names both.
// Two layouts in one cluster repeat IDs: WorkerID 4 with 12 sequence bits
// sets the same bit as WorkerID 1 with 14 (4<<12 == 1<<14).
//
// A layout may have a datacenter field (Config.DatacenterID): regions that
// each run their own store hand out the same WorkerIDs, and the datacenter
// field keeps their IDs apart. A cluster is then one datacenter: its stored
// layout holds the datacenter ID, and a node with another one refuses to
// start in it as a node of another layout does, since it could take a
// WorkerID that its own region hands out too.
//
// # Where each rule is kept
//
//   - floor < ts <= W: the generator (package snowflake) issues no tick
//     outside its floor and ceiling. acquire (acquire.go) reserves the first
//     W by compare-and-swap before the generator exists; reserve (run.go)
//     raises the ceiling only after the store has acknowledged a new W.
//   - The floor of a claim: acquire takes the highest of the store's W
//     (checked against the layout's bounds), the node's own history
//     (localHistory and remember, history.go), its last clock report
//     (report, run.go) and the last tick of its earlier holding (drop,
//     run.go; stopIssuing, issue.go). waitPast (claimfloor.go) waits past
//     it, and refuses one more than MaxStartupWait ahead.
//   - The claim floor: claimFloor, claimDrift and waitPast (claimfloor.go).
//   - The lease deadline: checkDeadline (ready.go), after generating, in
//     NextID and AppendIDs (issue.go), and in Ready.
//   - One layout per cluster: agreeLayout (layout.go), before any claim,
//     with the datacenter ID in the layout record (layoutRecord).
//   - A large backward step: signalRollback and recoverRollback
//     (rollback.go); Ready (ready.go) says why the node waits.
//   - A forward step: vouchedWindow (guard.go) bounds every W reserved;
//     windowPast (claimfloor.go) waits on the monotonic clock at a claim;
//     report (run.go) reports no more than the vouched time.
//   - The peers' clocks: checkPeers and recheck (guard.go); acquireAtStart
//     (acquire.go) refuses to start over MaxDrift; serving (issue.go) and
//     Ready refuse while the drift stays over it.
//   - Giving a WorkerID back: giveBack and release (acquire.go), drop
//     (run.go) and Close (issue.go), each with the last W or tick issued.
//
// # A large backward clock step
//
// A backward step the node may not wait out (beyond MaxBackwardWait) leaves
// two safe choices, and Config.LargeRollback picks one. Neither can repeat an
// ID: the generator never issues at or below the last tick it issued.
//
//   - LargeRollbackNewWorker (the default) moves to a fresh WorkerID whose W
//     lies behind the clock, if one is free, and serves from it once past
//     the claim floor (see "A store that forgets"). Its IDs
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
//
// # A store that forgets
//
// HAZARD: etcd restored from an older backup, or a ZooKeeper that lost its
// latest writes, can show a WorkerID as free, with an old W, while the holder
// it forgot is still issuing: cut off from the store during the restore and
// still inside its lease, that holder issues up to its own W, which nobody
// else can see. A new holder that trusts the store's W repeats its IDs. No
// store can tell a node that it did not forget, so every claim waits past a
// claim floor before it issues: the node's clock at the claim, plus Window,
// plus twice MaxDrift. The argument: the forgotten holder reserved its W at
// most one Window past its own clock, and only while the store still
// answered it, so before the store went away, so before this claim. At that
// moment its clock read at most what it reads at this claim, and its clock is
// at most 2×MaxDrift ahead of this node's: each node keeps within MaxDrift of
// the median of a sample of its peers' clocks, which, while most clocks are
// sound, is the fleet's common time; so two nodes, each that close to it,
// are within twice that of each other (1× would hold only if one of them
// were that time). So the forgotten W lies below this node's clock + Window +
// 2×MaxDrift, and nothing this node issues after waiting past that can
// repeat it. This holds at Start, on a reacquire after a lost lease, and for
// the fresh WorkerID taken after a large backward clock step, which
// therefore serves only after that wait too. The wait is part of every claim
// (about 5 s with the defaults) and is not a refusal: MaxStartupWait bounds
// only how far the WorkerID's history (its W, the node's own history and
// last report) is ahead of the clock, and StartTimeout only the retrying of
// an unreachable store; the claim floor is waited on top of both. The bound
// rests on the clock guard: a node that no peer checks (a lone node, or
// peers that do not answer) is not held to MaxDrift, and a holder whose
// clock was further ahead than 2×MaxDrift is not covered.
package idcoord
