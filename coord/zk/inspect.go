package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

var _ coord.Inspector = (*Backend)(nil)

// Holdings lists the WorkerIDs held now (workers/), those with a W (hw/ in
// ephemeral mode, the forever tree in sequential mode) and those named by a
// clock report (leaf_forever/). W is read as Inspect reads it, so a Backend
// configured with the other mode still finds it. ZooKeeper does not let one
// client read another's session, so every row's LeaseLeft is -1 and its
// Session says only whether a session holds workers/<wid>. The znodes are
// read with several requests, not at one instant.
func (b *Backend) Holdings(ctx context.Context) ([]coord.Holding, error) {
	rows, _, err := b.Inspect(ctx)
	return rows, err
}

// Inspect is Holdings, and also returns the mode whose W records it read:
// the Backend's own mode when the cluster holds W records of that mode,
// else the other mode when the cluster holds those (the cluster's nodes run
// the other mode, and the W is not lost for a mismatched setting), else "".
// A caller compares it with its configured mode to warn of a mismatch.
func (b *Backend) Inspect(ctx context.Context) ([]coord.Holding, Mode, error) {
	live, err := b.liveHoldings(ctx)
	if err != nil {
		return nil, "", err
	}
	read := b.cfg.Mode
	marks, err := b.marks(ctx, read)
	if err != nil {
		return nil, "", err
	}
	if len(marks) == 0 {
		read = otherMode(read)
		if marks, err = b.marks(ctx, read); err != nil {
			return nil, "", err
		}
		if len(marks) == 0 {
			read = ""
		}
	}
	reports, err := b.reports(ctx)
	if err != nil {
		return nil, "", err
	}
	rows := coord.MergeHoldings(live, marks, reports)
	for i := range rows {
		rows[i].LeaseLeft = -1
		rows[i].Session = coord.SessionNone
		if rows[i].Live && !rows[i].Stuck {
			rows[i].Session = coord.SessionLive
		}
	}
	return rows, read, nil
}

// otherMode is the mode that is not m.
func otherMode(m Mode) Mode {
	if m == ModeEphemeral {
		return ModeSequential
	}
	return ModeEphemeral
}

// children lists the names of dir's children; a missing dir has none.
func (b *Backend) children(ctx context.Context, dir string) ([]string, error) {
	names, err := do(ctx, b, func(c *gozk.Conn) ([]string, error) {
		names, _, err := c.Children(dir)
		return names, err
	})
	if errors.Is(err, gozk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, b.opErr("listing "+dir, err)
	}
	return names, nil
}

// readData reads the data of the znode at p; false, and no error, when there
// is no such znode. An error names what was being done.
func (b *Backend) readData(ctx context.Context, p, what string) ([]byte, bool, error) {
	data, err := do(ctx, b, func(c *gozk.Conn) ([]byte, error) {
		data, _, err := c.Get(p)
		return data, err
	})
	if errors.Is(err, gozk.ErrNoNode) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, b.opErr(what, err)
	}
	return data, true, nil
}

// readDir reads every child of dir; a missing dir has none.
func (b *Backend) readDir(ctx context.Context, dir string) ([]string, []znode, error) {
	names, err := b.children(ctx, dir)
	if err != nil || names == nil {
		return nil, nil, err
	}
	zs, err := b.getAll(ctx, dir, names)
	if err != nil {
		return nil, nil, b.opErr("reading "+dir, err)
	}
	return names, zs, nil
}

// liveHoldings reads the holder records under workers/. A znode that is
// not ephemeral is Stuck, and listed even when its record cannot be read.
func (b *Backend) liveHoldings(ctx context.Context) ([]coord.Holding, error) {
	var live []coord.Holding
	err := eachWorkerRecord(ctx, b, b.p.workers, b.p.worker, decodeJSON[holder], "holder record", func(wid int64, z znode, h holder, err error) {
		stuck := z.stat != nil && z.stat.EphemeralOwner == 0
		if err == nil || stuck {
			live = append(live, coord.Holding{WorkerID: wid, Node: h.Node, Admin: h.Admin, Since: h.Since, Stuck: stuck})
		}
	})
	return live, err
}

// eachWorkerRecord reads the znodes under dir, named by WorkerID, and calls
// fn with each one's znode and record, read by decode from the znode
// at(wid), or the error of reading it (after a warning that names what it
// is). It skips a name that is not a WorkerID and a znode gone since the
// listing.
func eachWorkerRecord[T any](ctx context.Context, b *Backend, dir string, at func(wid int64) string,
	decode func(path string, data []byte) (T, error), what string, fn func(wid int64, z znode, rec T, err error)) error {
	names, zs, err := b.readDir(ctx, dir)
	if err != nil {
		return err
	}
	for i, name := range names {
		wid, err := strconv.ParseInt(name, 10, 64)
		if err != nil || zs[i].data == nil {
			continue // not a WorkerID, or gone since the listing
		}
		rec, err := decode(at(wid), zs[i].data)
		if err != nil {
			b.log.Warn("a bad "+what, zap.Error(err))
		}
		fn(wid, zs[i], rec, err)
	}
	return nil
}

// marks reads W as mode keeps it: hw/<wid> in ephemeral mode, the forever
// tree in sequential mode (where the holder named is the identity, ip:port
// or node name).
func (b *Backend) marks(ctx context.Context, mode Mode) ([]coord.Mark, error) {
	if mode == ModeSequential {
		nodes, err := b.ListForever(ctx)
		if err != nil {
			return nil, err
		}
		marks := make([]coord.Mark, 0, len(nodes))
		for _, n := range nodes {
			marks = append(marks, coord.Mark{WorkerID: n.WorkerID, W: wallTime(n.Timestamp.UnixMilli()), Holder: n.Identity})
		}
		return marks, nil
	}
	var marks []coord.Mark
	err := eachWorkerRecord(ctx, b, b.p.hw, b.p.highWater, decodeHighWater, "W record", func(wid int64, _ znode, hw highWater, err error) {
		if err != nil {
			marks = append(marks, coord.Mark{WorkerID: wid, Bad: err.Error()})
			return
		}
		marks = append(marks, coord.Mark{WorkerID: wid, W: wallTime(hw.UnixMS), Holder: hw.Holder})
	})
	return marks, err
}

// wallTime is unix milliseconds as a time, and the zero time for 0 (a W
// never written).
func wallTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// reports reads every node's last clock report, by node name.
func (b *Backend) reports(ctx context.Context) (map[string]coord.Report, error) {
	names, zs, err := b.readDir(ctx, b.p.reports)
	if err != nil {
		return nil, err
	}
	reports := make(map[string]coord.Report, len(names))
	for i, name := range names {
		if zs[i].data == nil {
			continue
		}
		r, err := decodeJSON[coord.Report](b.p.report(name), zs[i].data)
		if err != nil {
			b.log.Warn("skipping a bad clock report", zap.Error(err))
			continue
		}
		reports[name] = r
	}
	return reports, nil
}

// History returns node's current clock report only: ZooKeeper keeps no
// history of a znode's data.
func (b *Backend) History(ctx context.Context, node string) ([]coord.Report, error) {
	r, ok, err := b.LastReport(ctx, node)
	if err != nil || !ok {
		return nil, err
	}
	return []coord.Report{r}, nil
}

// Revoke deletes workers/<wid>. The holder's watch on it fences the holder
// at once, and its node acquires again: in ephemeral mode any free
// WorkerID, in sequential mode the same one, which its identity keeps for
// good; either way the new claim rewrites W, so the revoked lease can never
// raise W again. leaf_temporary/<node> is left to the holder, which deletes
// it when it lets the lease go.
func (b *Backend) Revoke(ctx context.Context, wid int64) (string, error) {
	p := b.p.worker(wid)
	type got struct {
		data []byte
		stat *gozk.Stat
	}
	g, err := do(ctx, b, func(c *gozk.Conn) (got, error) {
		data, stat, err := c.Get(p)
		return got{data, stat}, err
	})
	if errors.Is(err, gozk.ErrNoNode) {
		return "", fmt.Errorf("%w: WorkerId %d has no holder in cluster %q (%s does not exist)", coord.ErrNotHeld, wid, b.cfg.Cluster, p)
	}
	if err != nil {
		return "", b.opErr("reading "+p, err)
	}
	h, err := decodeJSON[holder](p, g.data)
	if err != nil {
		b.log.Warn("revoking a WorkerId whose holder record cannot be read", zap.Error(err))
	}
	_, err = doLeader(ctx, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.Delete(p, g.stat.Version) })
	switch {
	case errors.Is(err, gozk.ErrNoNode):
		return "", fmt.Errorf("%w: %s went away while it was being revoked", coord.ErrNotHeld, p)
	case errors.Is(err, gozk.ErrBadVersion):
		return "", fmt.Errorf("%w: %s changed while it was being revoked; look again before revoking", coord.ErrNotHeld, p)
	case err != nil:
		return "", b.opErr("deleting "+p, err)
	}
	b.log.Info("revoked a WorkerId", zap.Int64("worker-id", wid), zap.String("holder", h.Node),
		zap.String("session", sessionHex(g.stat.EphemeralOwner)))
	return h.Node, nil
}
