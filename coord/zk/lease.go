package zkcoord

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// lease holds one WorkerID through the Backend's session: the ephemeral
// workers/<wid> and leaf_temporary/<node> znodes of session sid, and the
// version of the znode that stores W. See the package doc.
type lease struct {
	b          *Backend
	claim      coord.Claim
	wid        int64
	sid        int64     // the session that owns workerPath and peerPath
	workerPath string    // workers/<wid>
	peerPath   string    // leaf_temporary/<node>
	hwPath     string    // hw/<wid>, or the forever znode in sequential mode
	ep         *endpoint // sequential mode: the ip and port written with W
	highWater  time.Time
	log        *zap.Logger
	done       chan struct{}

	mu struct {
		sync.Mutex
		err     error
		final   time.Time // Deadline once lost
		version int32     // hwPath's version after this lease's last write
		w       int64     // W, unix ms, as stored at that version
		pending *write    // the write of W in flight, if any
		unsure  *attempt  // a write whose outcome was never heard
		// claimSeen is the send time of the latest write of W that found
		// workers/<wid> in place (see watchClaim).
		claimSeen time.Time
		released  bool
	}
}

// write is one write of W; err is set before done is closed.
type write struct {
	done chan struct{}
	err  error
}

// attempt is a write of W sent at version whose answer was lost with the
// connection: it may or may not have been applied.
type attempt struct {
	version int32
	w       int64
}

var _ coord.Lease = (*lease)(nil)

// WorkerID is the WorkerID held.
func (l *lease) WorkerID() int64 { return l.wid }

// HighWater is W as read in the claim.
func (l *lease) HighWater() time.Time { return l.highWater }

// Done is closed once the lease is lost, released or its Backend closed.
func (l *lease) Done() <-chan struct{} { return l.done }

// Err says why the lease was lost; nil while it is held.
func (l *lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.err
}

// Deadline is the last heard instant of the session plus its negotiated
// timeout minus the margin. It moves on with each write or sync the leader
// answers and stays put while the client is disconnected. Once the session
// has ended, and once the lease is lost, it is frozen at or before the
// instant that was learnt: always in the past, even before the lease is
// told, so a caller that reads the clock first and then compares never
// sees an ended session as live.
func (l *lease) Deadline() time.Time {
	l.mu.Lock()
	if l.mu.err != nil {
		defer l.mu.Unlock()
		return l.mu.final
	}
	l.mu.Unlock()
	return l.b.fenceOf(l.sid)
}

// Reserve raises W to w, rounded up to the millisecond, with a version
// compare-and-swap on the W znode. It never lowers W. A version that moved
// means another holder wrote W: the lease is then lost with coord.ErrFenced.
// If ctx ends first, the write still completes in the background and the
// next Reserve waits for it.
func (l *lease) Reserve(ctx context.Context, w time.Time) error {
	wms := ceilMilli(w)
	return l.store(ctx, wms, func(stored int64) bool { return wms > stored })
}

// store writes wms as W when need says so of the W stored now, one write at a
// time.
func (l *lease) store(ctx context.Context, wms int64, need func(stored int64) bool) error {
	for {
		l.mu.Lock()
		if err := l.mu.err; err != nil {
			l.mu.Unlock()
			return err
		}
		if p := l.mu.pending; p != nil {
			l.mu.Unlock()
			select {
			case <-p.done:
				continue
			case <-ctx.Done():
				return fmt.Errorf("zkcoord: writing W of WorkerId %d: %w", l.wid, ctx.Err())
			}
		}
		if !need(l.mu.w) {
			l.mu.Unlock()
			return nil
		}
		p := &write{done: make(chan struct{})}
		l.mu.pending = p
		ver, unsure := l.mu.version, l.mu.unsure
		l.mu.Unlock()
		if !l.b.spawn(func() { l.write(p, wms, need, ver, unsure) }) {
			l.mu.Lock()
			l.mu.pending = nil
			l.mu.Unlock()
			close(p.done)
			return fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed)
		}
		select {
		case <-p.done:
			if p.err != nil {
				return p.err
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("zkcoord: writing W of WorkerId %d: %w", l.wid, ctx.Err())
		}
	}
}

// write runs one write of W and reports it on p.
func (l *lease) write(p *write, wms int64, need func(int64) bool, ver int32, unsure *attempt) {
	err := l.writeW(wms, need, ver, unsure)
	l.mu.Lock()
	l.mu.pending = nil
	l.mu.Unlock()
	p.err = err
	close(p.done)
}

// writeW stores wms as W at version ver, first settling an unsure write,
// after which need is asked again.
func (l *lease) writeW(wms int64, need func(int64) bool, ver int32, unsure *attempt) error {
	if unsure != nil {
		type got struct {
			data []byte
			stat *gozk.Stat
		}
		g, err := callOn(l.b, func(c *gozk.Conn) (got, error) {
			data, stat, err := c.Get(l.hwPath)
			return got{data, stat}, err
		})
		switch {
		case errors.Is(err, gozk.ErrNoNode):
			return l.fence(l.hwPath + " was deleted")
		case err != nil:
			return l.b.opErr(fmt.Sprintf("reading W of WorkerId %d", l.wid), err)
		case g.stat.Version == unsure.version:
			l.log.Info("a write of W whose answer was lost was not applied", zap.Int32("version", g.stat.Version))
		case g.stat.Version == unsure.version+1 && l.own(g.data, unsure.w):
			// It was: nobody else writes exactly this W at exactly the next
			// version, since a new holder's claim rewrites the W it read
			// (the one at unsure.version), and a write is sent only when it
			// changes W.
			l.log.Info("a write of W whose answer was lost was applied", zap.Int32("version", g.stat.Version))
			l.mu.Lock()
			l.mu.version, l.mu.w = g.stat.Version, unsure.w
			l.mu.Unlock()
			ver = g.stat.Version
		default:
			return l.fence(fmt.Sprintf("%s is at version %d, written by another holder after version %d", l.hwPath, g.stat.Version, unsure.version))
		}
		l.mu.Lock()
		l.mu.unsure = nil
		needed := need(l.mu.w)
		l.mu.Unlock()
		if !needed {
			return nil
		}
	}
	// The claim's znode is checked in the same multi, so an operator's
	// revoke (deleting workers/<wid>) is seen at the next write of W at no
	// extra request. Uniqueness still rests on the version compare: a new
	// holder's claim rewrites W.
	sent := time.Now()
	res, err := callLeader(l.b, func(c *gozk.Conn) ([]gozk.MultiResponse, error) {
		return c.Multi(
			&gozk.CheckVersionRequest{Path: l.workerPath, Version: -1},
			&gozk.SetDataRequest{Path: l.hwPath, Data: l.record(wms), Version: ver},
		)
	})
	failed := multiFailure(res, err)
	switch {
	case err == nil:
		l.mu.Lock()
		l.mu.version, l.mu.w = res[1].Stat.Version, wms
		l.mu.Unlock()
		l.claimSeen(sent)
		return nil
	case failed == 0 && errors.Is(res[0].Error, gozk.ErrNoNode):
		return l.fence(l.workerPath + " was deleted")
	case failed == 1 && errors.Is(res[1].Error, gozk.ErrBadVersion):
		return l.fence(fmt.Sprintf("%s is no longer at version %d: another holder wrote W", l.hwPath, ver))
	case failed == 1 && errors.Is(res[1].Error, gozk.ErrNoNode):
		return l.fence(l.hwPath + " was deleted")
	case failed < 0 && !answered(err):
		l.mu.Lock()
		l.mu.unsure = &attempt{version: ver, w: wms}
		l.mu.Unlock()
	}
	return l.b.opErr(fmt.Sprintf("writing W of WorkerId %d to %s", l.wid, l.hwPath), err)
}

// record is the data of the W znode holding wms.
func (l *lease) record(wms int64) []byte {
	if l.ep != nil {
		return encode(endpoint{IP: l.ep.IP, Port: l.ep.Port, Timestamp: wms})
	}
	return encode(highWater{UnixMS: wms, Holder: l.claim.Node})
}

// own reports whether data is the record this lease writes for wms.
func (l *lease) own(data []byte, wms int64) bool {
	if l.ep != nil {
		e, err := decodeEndpoint(l.hwPath, data)
		return err == nil && e.Timestamp == wms && e.IP == l.ep.IP && e.Port == l.ep.Port
	}
	h, err := decodeHighWater(l.hwPath, data)
	return err == nil && h.UnixMS == wms && h.Holder == l.claim.Node
}

// fence loses the lease for good with why.
func (l *lease) fence(why string) error {
	err := fmt.Errorf("%w: WorkerId %d: %s", coord.ErrFenced, l.wid, why)
	l.lose(err)
	return err
}

// lose marks the lease lost with err, the first time only, freezing its
// Deadline at the session's fence or now, whichever is first.
func (l *lease) lose(err error) {
	l.loseAt(err, earlier(l.b.fenceOf(l.sid), time.Now()))
}

func (l *lease) loseAt(err error, final time.Time) {
	l.mu.Lock()
	if l.mu.err != nil {
		l.mu.Unlock()
		return
	}
	l.mu.err, l.mu.final = err, final
	close(l.done)
	l.mu.Unlock()
	l.b.forget(l)
	if errors.Is(err, coord.ErrClosed) {
		l.log.Info("WorkerId given up", zap.Error(err))
	} else {
		l.log.Warn("WorkerId lost", zap.Error(err))
	}
}

// Report writes the clock report to leaf_forever/<node>.
func (l *lease) Report(ctx context.Context, r coord.Report) error {
	if err := l.Err(); err != nil {
		return err
	}
	return l.b.putReport(ctx, l.claim.Node, r)
}

// Release stores w, rounded up to the millisecond, as the final W, but
// never below the W read at the claim: the caller passes the time of the
// last ID it issued, which may be below the W it reserved, so that the next
// holder need not wait out the unused part of the window. It then deletes
// workers/<wid> and leaf_temporary/<node>, so the WorkerID is free at once in
// ephemeral mode (in sequential mode it stays bound to the identity), and
// the lease is Done with coord.ErrClosed. The peer record stays when a
// later lease of the same node took it over (see Backend.Acquire).
// Releasing a lost lease only removes what its session still owns;
// releasing twice does nothing.
func (l *lease) Release(ctx context.Context, w time.Time) error {
	l.mu.Lock()
	if l.mu.released {
		l.mu.Unlock()
		return nil
	}
	l.mu.released = true
	l.mu.Unlock()
	wms := max(ceilMilli(w), l.highWater.UnixMilli())
	var errs []error
	if err := l.store(ctx, wms, func(stored int64) bool { return wms != stored }); err != nil && l.Err() == nil {
		errs = append(errs, err)
	}
	l.lose(fmt.Errorf("%w: WorkerId %d released", coord.ErrClosed, l.wid))
	if err := l.b.giveBack(ctx, l); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// giveBack deletes the ephemeral znodes of lease l, which is lost already:
// workers/<wid>, unless a live lease of this Backend holds it now, and
// leaf_temporary/<node>, unless a later lease of this node took the record
// over. It holds the claim lock, so that no claim moves the record in
// between.
func (b *Backend) giveBack(ctx context.Context, l *lease) error {
	if err := b.lockClaims(ctx); err != nil {
		return err
	}
	defer b.unlockClaims()
	var errs []error
	if _, held := b.holds(l.workerPath); !held {
		errs = append(errs, b.deleteOwned(ctx, l.workerPath, l.sid))
	}
	if b.dropPeer(l) {
		errs = append(errs, b.deleteOwned(ctx, l.peerPath, l.sid))
	}
	return errors.Join(errs...)
}

// rewriteOwned writes data to the ephemeral znode at path if session sid
// owns it.
func (b *Backend) rewriteOwned(ctx context.Context, path string, sid int64, data []byte) error {
	if s := b.currentSession(); s.id != sid {
		return nil // the session is over; the server deleted its znodes
	}
	st, err := b.stat(ctx, path)
	if err != nil || st == nil || st.EphemeralOwner != sid {
		return err
	}
	_, err = doLeader(ctx, b, func(c *gozk.Conn) (*gozk.Stat, error) { return c.Set(path, data, st.Version) })
	if err != nil && !errors.Is(err, gozk.ErrNoNode) && !errors.Is(err, gozk.ErrBadVersion) && !errors.Is(err, coord.ErrClosed) {
		return b.opErr("rewriting "+path, err)
	}
	return nil
}

// deleteOwned deletes the ephemeral znode at path if session sid owns it.
func (b *Backend) deleteOwned(ctx context.Context, path string, sid int64) error {
	if s := b.currentSession(); s.id != sid {
		return nil // the session is over; the server deleted its znodes
	}
	st, err := do(ctx, b, func(c *gozk.Conn) (*gozk.Stat, error) {
		ok, st, err := c.Exists(path)
		if !ok {
			st = nil
		}
		return st, err
	})
	if errors.Is(err, coord.ErrClosed) {
		return nil // Close ended the session, and the server deleted its znodes
	}
	if err != nil {
		return b.opErr("checking "+path, err)
	}
	if st == nil || st.EphemeralOwner != sid {
		return nil
	}
	_, err = doLeader(ctx, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.Delete(path, st.Version) })
	if err != nil && !errors.Is(err, gozk.ErrNoNode) && !errors.Is(err, gozk.ErrBadVersion) && !errors.Is(err, coord.ErrClosed) {
		return b.opErr("deleting "+path, err)
	}
	return nil
}
