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
//   - At start-up a node refuses to run when the median offset of a random
//     sample of its live peers' clocks exceeds MaxDrift (Twitter Snowflake's
//     sanityCheckPeers, which took the mean of every peer, made RTT-aware:
//     offset = peer_time + rtt/2 - local_receive_time, and samples whose
//     round trip exceeds the tolerance are dropped). The periodic recheck
//     judges the same way, on a fresh sample each time.
//   - While running, the wall clock is compared with the monotonic clock on
//     every check. A step is counted and logged, never silently absorbed.
//   - The window may run at most one Window past what the monotonic clock
//     vouches for since the clock was last confirmed, so a forward step of an
//     hour cannot reserve an hour of IDs. Only a peer's answer confirms the
//     new time (StepDetector.Confirm); until one does, the node stays not
//     ready. A check that no peer answered confirms nothing.
//
// # A sample, not a census
//
// A check asks at most k peers (SamplePeers, DefaultSampleSize = 12), drawn
// uniformly at random from the live ones. With N nodes each checking every
// period P (30s by default), the fleet sends N·k/P probes a second, O(N),
// where asking every peer sent N·(N−1)/P, O(N²): for 10,000 nodes, 4,000
// probes a second instead of 3.3 million. Picking the sample costs O(k), not
// O(N) (listing the live peers from the store is still one read of them all).
//
// The verdict is the median of the usable samples' offsets (JudgeWithin).
// A usable sample further than MaxDrift from that median is wild: counted,
// logged with the peer's node and address, listed in the status, and left
// out of the mean that is reported beside the median. It cannot move the
// median past the honest samples, so one peer whose clock is an hour off
// costs one sample of the checks that draw it, never a refusal. Only an
// answer that agrees with the median confirms the wall time.
//
// HAZARD: with fewer than three usable samples the median is of what there
// is: one sample decides alone, and two give the point halfway between
// them, so a single wild peer still sways a check that reached only one or
// two peers (a fleet of two or three nodes, or a sample mostly unanswered).
// The sample is not topped up when peers fail to answer.
//
// # How the verdict degrades with k
//
// The median of k samples is a bad clock only when at least half of the k
// samples are bad clocks (for even k, exactly half is enough to move it, as
// it lies halfway between the middle two). With a fraction f of the fleet's
// clocks bad, that chance is the binomial tail P(X ≥ ⌈k/2⌉), X ~ B(k, f);
// drawing without replacement from a finite fleet only lowers it. It is an
// upper bound: bad clocks off in opposite directions do not add up.
//
//	        f = 10%    f = 25%   f = 40%
//	k = 4   5.2%       26%       52%
//	k = 8   0.5%       11%       41%
//	k = 12  0.054%     5.4%      33%
//	k = 16  0.0061%    2.7%      28%
//
// A wrong verdict for a node with a good clock makes it refuse to start, or
// not ready until the next check draws a fresh sample (one period). Larger
// k buys accuracy at k probes per node per period; with half the fleet's
// clocks bad no sample, and no mean of all, can tell which half is right.
// The mean of all peers it replaces moved by 3,600s / (N−1) for a single
// clock an hour off among N−1 peers: past a MaxDrift of 1s in any fleet
// under 3,600 nodes.
//
// HAZARD: with no live peers the peer check is skipped (and logged). A lone
// node trusts its own clock at start-up, bounded only by its history in the
// store. While it runs, nothing can confirm a forward step for it: after a
// step longer than the window it stays not ready until the clock steps back
// or a peer appears and confirms the time. A restart trusts the clock again,
// as at any start-up.
package clockguard
