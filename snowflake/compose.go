package snowflake

import (
	"fmt"
	"time"
)

// Parts are the fields of one ID.
type Parts struct {
	Tick int64     // ticks since the epoch
	Time time.Time // start of Tick, UTC
	// DatacenterID is the datacenter field: always 0 in a layout without
	// one (Layout.HasDatacenter says which).
	DatacenterID int64
	WorkerID     int64
	Sequence     int64
}

// Decompose splits id into its fields. It fails for negative IDs; every
// non-negative int64 decodes in a valid layout whose bits sum to 63, and in
// narrower layouts IDs with bits above the layout are rejected.
func (l Layout) Decompose(id int64) (Parts, error) {
	if err := l.ValidateShape(); err != nil {
		return Parts{}, err
	}
	if id < 0 {
		return Parts{}, fmt.Errorf("%w: %d is negative", ErrBadID, id)
	}
	tick := id >> l.timeShift()
	if tick > l.MaxTick() {
		return Parts{}, fmt.Errorf("%w: %d has time bits beyond the layout's %d", ErrBadID, id, l.TimeBits)
	}
	return Parts{
		Tick:         tick,
		Time:         l.TimeOf(tick),
		DatacenterID: id >> (l.WorkerBits + l.SequenceBits) & l.MaxDatacenterID(),
		WorkerID:     id >> l.SequenceBits & l.MaxWorkerID(),
		Sequence:     id & l.MaxSequence(),
	}, nil
}

// Compose builds an ID from a tick, datacenter ID, WorkerID and sequence.
// Parts.Time is ignored; use TickOf to turn a time into a tick.
func (l Layout) Compose(p Parts) (int64, error) {
	if err := l.ValidateShape(); err != nil {
		return 0, err
	}
	switch {
	case p.Tick < 0 || p.Tick > l.MaxTick():
		return 0, fmt.Errorf("%w: tick %d outside 0..%d", ErrBadID, p.Tick, l.MaxTick())
	case p.DatacenterID < 0 || p.DatacenterID > l.MaxDatacenterID():
		return 0, l.ValidateDatacenterID(p.DatacenterID)
	case p.WorkerID < 0 || p.WorkerID > l.MaxWorkerID():
		return 0, fmt.Errorf("%w: %d does not fit %d worker bits", ErrWorkerIDRange, p.WorkerID, l.WorkerBits)
	case p.Sequence < 0 || p.Sequence > l.MaxSequence():
		return 0, fmt.Errorf("%w: sequence %d outside 0..%d", ErrBadID, p.Sequence, l.MaxSequence())
	}
	return p.Tick<<l.timeShift() | p.DatacenterID<<(l.WorkerBits+l.SequenceBits) | p.WorkerID<<l.SequenceBits | p.Sequence, nil
}

// timeShift is where the time field starts: the bits below it are the
// datacenter, worker and sequence fields.
func (l Layout) timeShift() int { return l.DatacenterBits + l.WorkerBits + l.SequenceBits }
