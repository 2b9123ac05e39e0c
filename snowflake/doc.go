// Package snowflake defines 64-bit, time-ordered ID layouts and a lock-free
// generator that issues IDs inside a reserved time window.
//
// Every layout packs an ID the same way, most significant bit first:
//
//	+------+-------------------+------------------+--------------+----------------+
//	| 0    | time (TimeBits)   | datacenter       | worker       | sequence       |
//	| 1 bit| ticks since Epoch | (DatacenterBits) | (WorkerBits) | (SequenceBits) |
//	+------+-------------------+------------------+--------------+----------------+
//
// The datacenter field is optional: 0 bits in most presets, 5 in
// twitter-dc. A tick is one TimeUnit (a whole number of milliseconds). The
// sign bit is always zero, so IDs are positive int64 values and sort by time
// first.
//
// # The invariant
//
// For one datacenter ID and WorkerID, a Generator never issues the same ID
// twice and every ID it issues is greater than the one before. It keeps this
// by issuing an ID with tick ts only when
//
//	floor < ts <= ceiling  and  ts >= the tick of the last ID issued
//
// and by never issuing a sequence number twice within a tick. The floor and
// the ceiling are given by the caller: in idcoord they are the reserved window
// W that the coordination store persisted before any ID inside it was issued.
// The ceiling may be raised while the generator runs; it is never lowered.
//
// HAZARD: the generator trusts its window. If two generators share a
// datacenter ID and WorkerID and overlapping windows, they can issue equal
// IDs. Keeping windows disjoint across holders of a WorkerID is the job of
// the coordination layer; keeping datacenter IDs apart, of the operator (one
// per cluster, which the cluster's stored layout then holds to).
//
// # Clock steps
//
// A backward step of the wall clock of at most MaxBackwardWait is waited out;
// a larger one returns ErrClockRollback and issues nothing. When the sequence
// of a tick is used up, the generator waits for the next tick. It never
// borrows ticks from the future. Every wait honours ctx.
package snowflake
