package zkcoord

import (
	"errors"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

var _ coord.BadRecordCounter = (*Backend)(nil)

// errNotEphemeral marks blocker's error for a workers/<wid> that is not
// ephemeral: no session end removes it, so its WorkerID stays taken until
// an operator deletes it.
var errNotEphemeral = errors.New("zkcoord: holder znode is not ephemeral")

// skip logs and counts a WorkerID passed over because the record at path
// needs an operator, and returns err (which wraps coord.ErrBadRecord), so
// that coord.Search goes on with the next candidate.
func (b *Backend) skip(path string, wid int64, err error) error {
	b.badRecords.Add(1)
	b.log.Warn("skipping a WorkerId whose record needs an operator", zap.Int64("worker-id", wid),
		zap.String("key", path), zap.Error(err))
	return err
}

// BadRecords counts the records acquisitions through b skipped: a W that
// cannot be read, a holder znode that is not ephemeral. Each skip counts,
// so one record met by several acquisitions counts several times.
func (b *Backend) BadRecords() int64 { return b.badRecords.Load() }
