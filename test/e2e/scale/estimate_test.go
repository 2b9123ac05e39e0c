package scale

import (
	"fmt"
	"math"
)

// The assumptions of the largest-fleet estimate for a 3-member etcd. They
// are named in the report next to the figure they give.
const (
	// memberCores is the cores of each member.
	memberCores = 8
	// cpuBudget is the share of the leader's cores the fleet may take,
	// leaving the rest for compaction, snapshots, defragmentation and a
	// member that catches up.
	cpuBudget = 0.5
	// leaderFactor is the leader's CPU per write against a single
	// member's: besides serving the clients it replicates every write to
	// two followers and counts their acknowledgements.
	leaderFactor = 1.5
	// writeCapacity is the sustained writes/s taken for a 3-member etcd on
	// SSDs (one fsync per raft batch on each member), with headroom.
	writeCapacity = 10000
)

// largestFleet estimates the largest fleet a 3-member etcd carries, from
// the measured server CPU and writes per node: the smaller of the CPU
// bound and the write bound, named with the assumptions behind each.
func (s *etcdStore) largestFleet(r rates, nodes int) string {
	n := float64(nodes)
	cpuPerNode := r.cpuShare / n  // cores per node on one member
	writesPerNode := r.writes / n // writes/s per node
	byCPU, byWrites := math.Inf(1), math.Inf(1)
	if cpuPerNode > 0 {
		byCPU = memberCores * cpuBudget / (cpuPerNode * leaderFactor)
	}
	if writesPerNode > 0 {
		byWrites = writeCapacity / writesPerNode
	}
	bound := "CPU"
	if byWrites < byCPU {
		bound = "writes"
	}
	return fmt.Sprintf("largest fleet for a 3-member etcd: about %s nodes (bound by %s). "+
		"CPU: %s%% of a core per 1,000 nodes measured on this single member, × %.1f for the leader's replication, within %.0f%% of %d cores: %s nodes. "+
		"Writes: %s/s per node against an assumed sustained %s writes/s: %s nodes. "+
		"A cluster above 1,023 nodes needs a layout with more worker bits (sonyflake: 65,535)",
		group(roundDown(math.Min(byCPU, byWrites)), 0), bound,
		group(100*cpuPerNode*1000, 1), leaderFactor, 100*cpuBudget, memberCores, group(roundDown(byCPU), 0),
		group(writesPerNode, 2), group(writeCapacity, 0), group(roundDown(byWrites), 0))
}

// roundDown rounds an estimate down to two significant digits.
func roundDown(v float64) float64 {
	if math.IsInf(v, 0) || v <= 0 {
		return v
	}
	unit := math.Pow(10, math.Floor(math.Log10(v))-1)
	return math.Floor(v/unit) * unit
}
