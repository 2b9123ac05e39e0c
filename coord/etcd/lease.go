package etcd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// lease holds one WorkerID under one etcd lease. See the package doc.
type lease struct {
	b     *Backend
	claim coord.Claim
	id    clientv3.LeaseID
	wid   int64
	// The fencing token is the pair (create revision of workers/<wid>,
	// lease ID): a restore from an older backup can repeat the revision,
	// never the lease ID, which a restored store does not know and a new
	// grant does not repeat (etcd's IDs carry its start time).
	rev       int64
	era       int // the store's era the claim was made in (see storeHistory)
	highWater time.Time
	log       *zap.Logger

	base     time.Time    // monotonic origin of deadline
	deadline atomic.Int64 // nanoseconds after base; 0 once lost
	acked    atomic.Int64 // nanoseconds after base: receipt of the last keepalive answer

	done chan struct{}
	stop context.CancelFunc
	wg   sync.WaitGroup

	reserve sync.Mutex // serializes writes of W
	mu      struct {
		sync.Mutex
		w   time.Time // W as persisted by this lease
		err error
	}
}

var _ coord.Lease = (*lease)(nil)

// newLease starts the keepalives and the watch of a claimed WorkerID, unless
// b is closed.
func newLease(b *Backend, c coord.Claim, id clientv3.LeaseID, wid, rev int64, w, granted time.Time, era int) (*lease, error) {
	ctx, stop := context.WithCancel(context.Background())
	l := &lease{
		b: b, claim: c, id: id, wid: wid, rev: rev, era: era, highWater: w,
		log:  b.cfg.Logger.With(zap.Int64("worker-id", wid), zap.String("lease", fmt.Sprintf("%x", int64(id)))),
		base: granted,
		done: make(chan struct{}),
		stop: stop,
	}
	l.mu.w = w
	l.extend(granted.Add(b.cfg.TTL - b.cfg.FenceMargin))
	l.acked.Store(int64(time.Since(granted)))
	// Counted before Close can see the lease, so that it waits for both.
	l.wg.Add(2)
	if err := b.register(l); err != nil {
		l.wg.Add(-2)
		stop()
		return nil, err
	}
	go l.keepAlive(ctx)
	go l.watchHolder(ctx)
	return l, nil
}

func (l *lease) WorkerID() int64       { return l.wid }
func (l *lease) HighWater() time.Time  { return l.highWater }
func (l *lease) Done() <-chan struct{} { return l.done }

func (l *lease) Deadline() time.Time {
	return l.base.Add(time.Duration(l.deadline.Load()))
}

func (l *lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.err
}

// extend moves the deadline to d, never backwards, unless the lease is lost.
func (l *lease) extend(d time.Time) {
	ns := int64(d.Sub(l.base))
	for {
		cur := l.deadline.Load()
		if ns <= cur || l.Err() != nil || l.deadline.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// lose marks the lease lost for good with err, the first time only, and
// stops its goroutines without waiting for them. The deadline goes back to
// the send time of the grant, before any clock reading taken while the
// lease was held.
func (l *lease) lose(err error) {
	l.mu.Lock()
	if l.mu.err != nil {
		l.mu.Unlock()
		return
	}
	l.mu.err = err
	l.deadline.Store(0)
	close(l.done)
	l.stop()
	l.mu.Unlock()
	l.b.forget(l)
	if !errors.Is(err, coord.ErrClosed) {
		l.log.Warn("lost WorkerId", zap.Error(err))
	}
}

// keepAlive refreshes the lease about every TTL/3, and more often after a
// failure, moving the deadline to the send time of each acknowledged
// keepalive plus the TTL minus the margin.
func (l *lease) keepAlive(ctx context.Context) {
	defer l.wg.Done()
	ttl := l.b.cfg.TTL
	interval, retry := ttl/3, max(ttl/20, 100*time.Millisecond)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		sent := time.Now()
		kctx, cancel := context.WithTimeout(ctx, interval)
		resp, err := l.b.client.KeepAliveOnce(kctx, l.id)
		cancel()
		switch {
		case err == nil && resp.TTL > 0:
			l.extend(sent.Add(time.Duration(resp.TTL)*time.Second - l.b.cfg.FenceMargin))
			l.acked.Store(int64(time.Since(l.base)))
			timer.Reset(interval)
		case errors.Is(err, rpctypes.ErrLeaseNotFound) || err == nil:
			l.b.setGranted(l.id, false)
			l.lose(fmt.Errorf("%w: lease of WorkerId %d expired or was revoked", coord.ErrFenced, l.wid))
			return
		case ctx.Err() != nil:
			return
		default:
			l.log.Warn("keepalive failed", zap.Error(err), zap.Duration("fence-in", time.Until(l.Deadline())))
			timer.Reset(retry)
		}
	}
}

// watchHolder loses the lease as soon as workers/<wid> is deleted or
// re-created by someone else (an operator's revoke, a delete).
func (l *lease) watchHolder(ctx context.Context) {
	defer l.wg.Done()
	key, from := workerKey(l.wid), l.rev
	for ctx.Err() == nil {
		for resp := range l.b.watch.Watch(clientv3.WithRequireLeader(ctx), key, clientv3.WithRev(from)) {
			for _, ev := range resp.Events {
				if ev.Type == mvccpb.DELETE || ev.Kv.CreateRevision != l.rev || ev.Kv.Lease != int64(l.id) {
					l.lose(fmt.Errorf("%w: %s was deleted or taken over (revision %d)", coord.ErrFenced, key, ev.Kv.ModRevision))
					return
				}
				from = ev.Kv.ModRevision + 1
			}
			if resp.Err() != nil {
				break
			}
		}
		// The watch broke (no leader, compaction, shutdown): check the key
		// directly, then watch again from now.
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		gctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := l.b.kv.Get(gctx, key)
		cancel()
		if err != nil {
			continue
		}
		if err := l.b.stillValid(l.era, resp.Header); err != nil {
			l.lose(err)
			return
		}
		if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != l.rev || resp.Kvs[0].Lease != int64(l.id) {
			l.lose(fmt.Errorf("%w: %s is gone or held by another lease", coord.ErrFenced, key))
			return
		}
		from = resp.Header.Revision + 1
	}
}

// Reserve raises W to w with a transaction that compares the create revision
// of workers/<wid>.
func (l *lease) Reserve(ctx context.Context, w time.Time) error {
	l.reserve.Lock()
	defer l.reserve.Unlock()
	if err := l.Err(); err != nil {
		return err
	}
	w = time.UnixMilli(w.UnixMilli())
	l.mu.Lock()
	cur := l.mu.w
	l.mu.Unlock()
	if !w.After(cur) {
		return nil
	}
	if err := l.putHighWater(ctx, w); err != nil {
		return err
	}
	l.mu.Lock()
	l.mu.w = w
	l.mu.Unlock()
	return nil
}

// putHighWater writes W while this lease owns the WorkerID: workers/<wid>
// still has the create revision and the lease of this claim.
func (l *lease) putHighWater(ctx context.Context, w time.Time) error {
	key := workerKey(l.wid)
	resp, err := l.b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", l.rev),
			clientv3.Compare(clientv3.LeaseValue(key), "=", l.id)).
		Then(clientv3.OpPut(highWaterKey(l.wid), encode(HighWater{UnixMS: w.UnixMilli(), Holder: l.claim.Node}))).
		Commit()
	if err != nil {
		return fmt.Errorf("%w: writing W of WorkerId %d: %v", storeFault(err), l.wid, err)
	}
	if err := l.b.stillValid(l.era, resp.Header); err != nil {
		l.lose(err)
		return err
	}
	if !resp.Succeeded {
		err := fmt.Errorf("%w: %s no longer has create revision %d and lease %x", coord.ErrFenced, key, l.rev, int64(l.id))
		l.lose(err)
		return err
	}
	return nil
}

func (l *lease) Report(ctx context.Context, r coord.Report) error {
	if l.b.isClosed() {
		return errClosed()
	}
	resp, err := l.b.kv.Put(ctx, foreverKey(l.claim.Node), encode(r))
	if err != nil {
		return fmt.Errorf("%w: reporting the clock: %v", storeFault(err), err)
	}
	if err := l.b.stillValid(l.era, resp.Header); err != nil {
		l.lose(err)
		return err
	}
	return nil
}

// Release stops the keepalives, stores the final W and, only once it is
// stored, revokes the lease, so the WorkerID and the peer record go at
// once. When the store does not answer within ctx, the WorkerID is left to
// its lease (a *coord.NotReleasedError): W as last reserved covers every ID
// issued, and the lease expires by itself.
func (l *lease) Release(ctx context.Context, w time.Time) error {
	l.reserve.Lock()
	defer l.reserve.Unlock()
	owned := l.Err() == nil
	l.lose(fmt.Errorf("%w: WorkerId %d released", coord.ErrClosed, l.wid))
	l.wg.Wait()
	if !owned {
		// Lost already: W can no longer be written, but the lease may still
		// hold this node's peer record. Best effort; it expires anyway.
		l.revoke(ctx) //nolint:errcheck // see above
		return nil
	}
	if w.Before(l.highWater) {
		w = l.highWater
	}
	// W first: the WorkerID goes back only after its final W is stored. A
	// zero W (a holder that issued nothing, under a WorkerID never used)
	// has nothing to store.
	if !w.IsZero() {
		if err := l.putHighWater(ctx, time.UnixMilli(w.UnixMilli())); err != nil && !errors.Is(err, coord.ErrFenced) {
			return l.notReleased(err)
		}
	}
	if err := l.revoke(ctx); err != nil {
		return l.notReleased(fmt.Errorf("%w: revoking the lease: %v", storeFault(err), err))
	}
	return nil
}

// revoke revokes the lease; one already gone is no error.
func (l *lease) revoke(ctx context.Context) error {
	_, err := l.b.client.Revoke(ctx, l.id)
	if err == nil || errors.Is(err, rpctypes.ErrLeaseNotFound) {
		l.b.setGranted(l.id, false)
		return nil
	}
	return err
}

// notReleased is the error of a release that did not get through. The
// store expires the lease at most a TTL after it last answered a keepalive
// (leader changes aside, which restart every lease's TTL).
func (l *lease) notReleased(err error) error {
	left := time.Until(l.base.Add(time.Duration(l.acked.Load()) + l.b.cfg.TTL))
	left = (max(left, 0) + time.Second - 1).Truncate(time.Second) // whole seconds, rounded up
	return &coord.NotReleasedError{WorkerID: l.wid, Within: left, Err: err}
}
