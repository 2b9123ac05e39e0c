package snowflake

import "errors"

// Errors returned by this package. They are wrapped with details (the numbers
// that matter) and are meant to be tested with errors.Is.
var (
	// ErrBitsOverflow: time, datacenter, worker and sequence bits sum to more
	// than 63.
	ErrBitsOverflow = errors.New("snowflake: bits sum to more than 63")
	// ErrZeroWidth: a field of the layout has no bits (or, for the optional
	// datacenter field, fewer than none).
	ErrZeroWidth = errors.New("snowflake: zero-width field")
	// ErrTimeUnit: the time unit is below 1ms or not a whole number of ms.
	ErrTimeUnit = errors.New("snowflake: bad time unit")
	// ErrEpoch: the layout's epoch is before 1970, not a whole millisecond,
	// or in the year 9999 or later.
	ErrEpoch = errors.New("snowflake: bad epoch")
	// ErrLifetimeTooLong: the layout's time bits last into the year 9999 or
	// later, the last year an RFC 3339 time can show.
	ErrLifetimeTooLong = errors.New("snowflake: lifetime runs past the year 9999")
	// ErrEpochInFuture: the layout's epoch lies after now.
	ErrEpochInFuture = errors.New("snowflake: epoch is in the future")
	// ErrLifetimeEnded: the layout's time bits have run out.
	ErrLifetimeEnded = errors.New("snowflake: layout lifetime has ended")
	// ErrUnknownPreset: no preset has the given name.
	ErrUnknownPreset = errors.New("snowflake: unknown layout preset")
	// ErrWorkerIDRange: the WorkerID does not fit the layout's worker bits.
	ErrWorkerIDRange = errors.New("snowflake: WorkerId out of range")
	// ErrDatacenterIDRange: the datacenter ID does not fit the layout's
	// datacenter bits.
	ErrDatacenterIDRange = errors.New("snowflake: datacenter ID out of range")
	// ErrWorkerIDReserved: the WorkerID is reserved and is never handed out.
	ErrWorkerIDReserved = errors.New("snowflake: WorkerId is reserved")
	// ErrAllReserved: the reserved WorkerIDs are every WorkerID of the layout.
	ErrAllReserved = errors.New("snowflake: every WorkerId is reserved")
	// ErrBadID: an ID is negative or does not decode in the layout.
	ErrBadID = errors.New("snowflake: bad ID")
	// ErrBadWindow: the window given to a generator is empty or out of range.
	ErrBadWindow = errors.New("snowflake: bad window")

	// ErrClockRollback: the wall clock is behind the last issued tick (or the
	// floor) by more than MaxBackwardWait. Nothing was issued.
	ErrClockRollback = errors.New("snowflake: clock moved backwards")
	// ErrCeiling: the clock has passed the reserved ceiling. Nothing was
	// issued; the caller must raise the ceiling first.
	ErrCeiling = errors.New("snowflake: clock is past the reserved window")
	// ErrStopped: Stop was called; the generator issues nothing more.
	ErrStopped = errors.New("snowflake: generator stopped")
	// ErrBadCount: NextIDs was asked for fewer than one ID.
	ErrBadCount = errors.New("snowflake: count must be at least 1")
)
