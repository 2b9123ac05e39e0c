package coord

import "fmt"

// Skipped is a WorkerID an acquisition passed over because one of its
// records needs an operator: its W cannot be read (hw/<wid>), or its holder
// record is stuck (see StuckHolderError). Err wraps ErrBadRecord and names
// the record.
//
// Why skip rather than stop: one bad record must cost one WorkerID, never
// every node whose search reaches it. The WorkerID is not lost for good: it
// is offered again on every acquisition, and taken once the record is
// repaired or cleared.
type Skipped struct {
	WorkerID int64
	Err      error
}

// BadRecordCounter is implemented by a Backend that counts the records its
// acquisitions skipped (see Skipped), for a metric. BadRecords is safe for
// concurrent use and never goes down.
type BadRecordCounter interface {
	BadRecords() int64
}

// StuckHolderError is the error of a holder record (workers/<wid>, named by
// record) that nothing will ever remove: on etcd it is under no lease, on
// ZooKeeper it is not ephemeral; why says which. idcoord never writes one.
// Nor does it delete one on its own: a key idcoord did not write is for an
// operator to judge (who wrote it, and why), and `idcoord lease revoke <wid>
// --yes` clears it. The error wraps ErrBadRecord.
func StuckHolderError(record string, wid int64, why string) error {
	return fmt.Errorf("%w: %s %s, so WorkerId %d stays taken for good; find out who wrote it, "+
		"then clear it with `idcoord lease revoke %d --yes`", ErrBadRecord, record, why, wid, wid)
}
