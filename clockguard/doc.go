// Package clockguard keeps a node's wall clock honest: it measures the
// clock against the node's peers, detects steps of the wall clock against the
// monotonic clock, and decides how far the reserved window may run ahead.
//
// # What it guarantees, and what it does not
//
// Uniqueness of IDs never depends on this package: it rests on the reserved
// window W in the store (see package coord). The guard is the sanity check
// that keeps W meaningful:
//
//   - At start-up a node refuses to run when the mean offset of its live
//     peers' clocks exceeds MaxDrift (Twitter Snowflake's sanityCheckPeers,
//     made RTT-aware: offset = peer_time + rtt/2 - local_receive_time, and
//     samples whose round trip exceeds the tolerance are dropped).
//   - While running, the wall clock is compared with the monotonic clock on
//     every check. A step is counted and logged, never silently absorbed.
//   - The window may run at most one Window past what the monotonic clock
//     vouches for since the clock was last confirmed, so a forward step of an
//     hour cannot reserve an hour of IDs. Only a peer's answer confirms the
//     new time (StepDetector.Confirm); until one does, the node stays not
//     ready. A check that no peer answered confirms nothing.
//
// HAZARD: with no live peers the peer check is skipped (and logged). A lone
// node trusts its own clock at start-up, bounded only by its history in the
// store. While it runs, nothing can confirm a forward step for it: after a
// step longer than the window it stays not ready until the clock steps back
// or a peer appears and confirms the time. A restart trusts the clock again,
// as at any start-up.
package clockguard
