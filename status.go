package idcoord

import (
	"errors"
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
	// Segments are segment mode's tags this node has loaded, with their
	// double buffers.
	Segments []segment.TagStatus `json:"segments"`
}

// LayoutStatus describes the ID layout.
type LayoutStatus struct {
	TimeBits     int       `json:"time_bits"`
	TimeUnit     string    `json:"time_unit"`
	WorkerBits   int       `json:"worker_bits"`
	SequenceBits int       `json:"sequence_bits"`
	Epoch        time.Time `json:"epoch"`
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
			SequenceBits: l.SequenceBits, Epoch: l.Epoch.UTC(), DatacenterBits: l.DatacenterBits, DatacenterID: n.cfg.DatacenterID},
		Clock: n.guard.status(),
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
	s.LeaseLeftSeconds = max(time.Until(h.lease.Deadline()), 0).Seconds()
	s.HighWater = l.TimeOf(h.gen.Ceiling() + 1).Add(-time.Millisecond)
	s.HighWaterAheadSeconds = s.HighWater.Sub(n.cfg.Clock.Now()).Seconds()
	s.Floor = h.floor.UTC()
	s.HeldSince = h.since.UTC()
	s.Generator = addStats(s.Generator, h.gen.Stats())
	return s
}

func addStats(a, b snowflake.Stats) snowflake.Stats {
	return snowflake.Stats{
		SequenceWaits: a.SequenceWaits + b.SequenceWaits,
		RollbackWaits: a.RollbackWaits + b.RollbackWaits,
		Rollbacks:     a.Rollbacks + b.Rollbacks,
		CeilingHits:   a.CeilingHits + b.CeilingHits,
	}
}
