// Package coord is the contract between idcoord and its coordination stores
// (etcd and ZooKeeper): how a node gets a WorkerID that no other live node
// holds, and how it reserves the time window it may issue IDs in.
//
// # The invariant
//
// A Backend hands a WorkerID to at most one live Lease at a time, and every
// WorkerID carries a high-water mark W, persisted in the store outside the
// lease. A Lease raises W only by a compare-and-swap that succeeds only while
// it still owns the WorkerID (the etcd create revision of workers/<wid>, the
// ZooKeeper znode version). A new holder reads W in the same step that claims
// the WorkerID and issues nothing at or before it. So the windows of two
// successive holders never overlap, whatever the lease timing: a holder that
// was paused and wakes after losing its WorkerID can only issue IDs up to the
// W it had persisted, and its next Reserve fails.
//
// Lease expiry is a second line of defence. A Lease reports a Deadline: the
// last instant, on the monotonic clock, at which it can prove it still owns
// the WorkerID. It is computed from the send time of the last acknowledged
// keepalive (or the last time the server was heard from), never from the
// client library's own expiry notice, which is computed on receipt and fires
// late.
//
// HAZARD: W is a wall-clock time. It protects against duplicates only while
// every node's clock is within the window of the truth; the clock guard
// (package clockguard) checks this at start-up and while running.
package coord
