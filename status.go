package idcoord

import (
	"errors"
	"slices"
	"time"

	"github.com/idcoord/idcoord/coord/segment"
	"github.com/idcoord/idcoord/snowflake"
)

// Status is a snapshot of a Node, shaped for JSON (/status).
type Status struct {
	Node  string `json:"node"`
	Ready bool   `json:"ready"`
	// ReasonCode is one of the Reason constants while the node is not
	// ready; Reason says why in words.
	ReasonCode string `json:"reason_code,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// WorkerID held, or -1 when none.
	WorkerID int64 `json:"worker_id"`
	// LeaseLeftSeconds is the time to the lease deadline.
	LeaseLeftSeconds float64 `json:"lease_left_seconds"`
	// HighWater is W as the generator knows it: the end of the reserved
	// window. Floor is what every ID issued under this WorkerID is after.
	HighWater time.Time `json:"high_water"`
	Floor     time.Time `json:"floor"`
	// HighWaterAheadSeconds is how far W is ahead of the clock.
	HighWaterAheadSeconds float64      `json:"high_water_ahead_seconds"`
	HeldSince             time.Time    `json:"held_since"`
	Layout                LayoutStatus `json:"layout"`
	// Generator counts the generators' slow paths since Start.
	Generator snowflake.Stats `json:"generator"`
	Clock     ClockStatus     `json:"clock"`
	// WorkerIDs is the cluster's occupancy, as of the last peer listing.
	WorkerIDs WorkerIDStatus `json:"worker_ids"`
	// StoreErrors counts the store operations the node made that failed
	// (the store unreachable, credentials refused, a record it could not
	// read), by operation: layout, acquire, reserve, report, peers, release.
	StoreErrors map[string]int64 `json:"store_errors"`
	// Segments are segment mode's tags this node has loaded, with their
	// double buffers.
	Segments []segment.TagStatus `json:"segments"`
}

// WorkerIDStatus is how many of the cluster's WorkerIds are held.
type WorkerIDStatus struct {
	// Held counts the WorkerIds the live nodes held at the last peer
	// listing (the periodic clock check: Config.PeerCheckEvery), this
	// node's own counted from what it holds now.
	Held int64 `json:"held"`
	// Capacity is how many WorkerIds the layout can hand out: its range
	// less Config.Reserved.
	Capacity int64 `json:"capacity"`
}

// LayoutStatus describes the ID layout.
type LayoutStatus struct {
	TimeBits     int       `json:"time_bits"`
	TimeUnit     string    `json:"time_unit"`
	WorkerBits   int       `json:"worker_bits"`
	SequenceBits int       `json:"sequence_bits"`
	Epoch        time.Time `json:"epoch"`
	// End is when the time bits run out: no ID can be issued from then on.
	End time.Time `json:"end"`
	// DatacenterBits is the width of the datacenter field (0: none), and
	// DatacenterID this node's value in it, as the cluster's stored layout
	// holds it.
	DatacenterBits int   `json:"datacenter_bits"`
	DatacenterID   int64 `json:"datacenter_id"`
}

// Status returns a snapshot of the node.
func (n *Node) Status() Status {
	l := n.layout
	s := Status{
		Node:     n.cfg.Node,
		WorkerID: -1,
		Layout: LayoutStatus{TimeBits: l.TimeBits, TimeUnit: l.TimeUnit.String(), WorkerBits: l.WorkerBits,
			SequenceBits: l.SequenceBits, Epoch: l.Epoch.UTC(), End: l.End(), DatacenterBits: l.DatacenterBits, DatacenterID: n.cfg.DatacenterID},
		Clock:       n.guard.status(),
		WorkerIDs:   WorkerIDStatus{Held: int64(n.guard.peersHolding()), Capacity: n.workerIDCapacity()},
		StoreErrors: n.storeErrs.snapshot(),
	}
	if n.segments != nil {
		s.Segments = n.segments.Status()
	}
	if err := n.Ready(); err != nil {
		s.Reason = err.Error()
		s.ReasonCode = "closed"
		if nr := (*NotReadyError)(nil); errors.As(err, &nr) {
			s.ReasonCode = nr.Reason
		}
	} else {
		s.Ready = true
	}
	n.mu.Lock()
	s.Generator = n.mu.retired
	n.mu.Unlock()
	h := n.cur.Load()
	if h == nil {
		return s
	}
	s.WorkerID = h.gen.WorkerID()
	s.WorkerIDs.Held++
	s.LeaseLeftSeconds = max(time.Until(h.lease.Deadline()), 0).Seconds()
	s.HighWater = l.TimeOf(h.gen.Ceiling() + 1).Add(-time.Millisecond)
	s.HighWaterAheadSeconds = s.HighWater.Sub(n.cfg.Clock.Now()).Seconds()
	s.Floor = h.floor.UTC()
	s.HeldSince = h.since.UTC()
	s.Generator = addStats(s.Generator, h.gen.Stats())
	return s
}

// workerIDCapacity is how many WorkerIds the layout can hand out: its range
// less the reserved ones (Config.Validate checked they are in range).
func (n *Node) workerIDCapacity() int64 {
	reserved := slices.Compact(slices.Sorted(slices.Values(n.cfg.Reserved)))
	return n.layout.MaxWorkerID() + 1 - int64(len(reserved))
}

func addStats(a, b snowflake.Stats) snowflake.Stats {
	return snowflake.Stats{
		SequenceWaits: a.SequenceWaits + b.SequenceWaits,
		RollbackWaits: a.RollbackWaits + b.RollbackWaits,
		Rollbacks:     a.Rollbacks + b.Rollbacks,
		CeilingHits:   a.CeilingHits + b.CeilingHits,
	}
}
