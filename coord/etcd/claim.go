package etcd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// claim claims a WorkerID for c under lease id, offering them as
// coord.Search picks them: the sticky one from leaf_forever/<node>, the
// StatefulSet ordinal, then one drawn from the free ones of a listing.
//
// Round trips after the grant: when the caller did not read the node's clock
// report (c.Sticky is 0), one transaction reads it and the held listing
// together, and the claim follows: 2, so 3 with the grant, at any occupancy
// when no other node claims the same WorkerId at the same moment. When the
// caller passes c.Sticky, the sticky WorkerID is tried first with no
// listing: 1 when it is free; when it is taken, the failed claim reads the
// listing in the same round trip, and the next claim is the second. Each
// claim lost to a racing node catches the listing up in the same round trip
// (see heldView).
func (b *Backend) claim(ctx context.Context, c coord.Claim, id clientv3.LeaseID, granted time.Time) (*lease, error) {
	sticky, view := c.Sticky, (*heldView)(nil) // nil: not listed yet
	if c.Sticky == 0 {
		var err error
		if sticky, view, err = b.stickyAndHeld(ctx, c.Node); err != nil {
			return nil, err
		}
		if afterListing != nil {
			afterListing()
		}
	}
	list := func(ctx context.Context) (map[int64]bool, error) {
		var err error
		if view, err = b.heldWorkers(ctx); err != nil {
			return nil, err
		}
		return view.held, nil
	}
	try := func(ctx context.Context, wid int64) (*lease, bool, map[int64]bool, error) {
		l, ok, fresh, err := b.tryClaim(ctx, c, id, wid, granted, view)
		if fresh != nil {
			view = fresh
			return l, ok, fresh.held, err
		}
		return l, ok, nil, err
	}
	var held map[int64]bool
	if view != nil {
		held = view.held
	}
	l, err := coord.Search(ctx, b.cfg.Cluster, c, sticky, held, list, try)
	if errors.Is(err, coord.ErrNoFreeWorker) && view != nil && view.stale {
		// A WorkerID released since the listing may be free: list it all
		// again. A record skipped in the first search is met (and counted)
		// again.
		if _, err := list(ctx); err != nil {
			return nil, err
		}
		return coord.Search(ctx, b.cfg.Cluster, c, sticky, view.held, list, try)
	}
	return l, err
}

// afterListing, when set, runs between the first listing and the first
// claim: tests change the store there, as a racing node would.
var afterListing func()

// stickyAndHeld reads, in one round trip, the WorkerID of node's last clock
// report (-1 when it has none, or one that cannot be read, as
// coord.LastWorkerID) and the listing of workers/. A transaction with no
// compare reads both at one revision.
func (b *Backend) stickyAndHeld(ctx context.Context, node string) (int64, *heldView, error) {
	countTrip(ctx)
	resp, err := b.kv.Txn(ctx).
		Then(clientv3.OpGet(foreverKey(node)), clientv3.OpGet(workersDir, clientv3.WithPrefix())).
		Commit()
	if err != nil {
		return -1, nil, fmt.Errorf("%w: reading %s and listing WorkerIds: %v", storeFault(err), foreverKey(node), err)
	}
	b.observe(resp.Header)
	sticky := int64(-1)
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		if r, err := decode[coord.Report](foreverKey(node), kvs[0].Value); err == nil {
			sticky = r.WorkerID
		}
	}
	return sticky, newHeldView(resp.Responses[1].GetResponseRange().Kvs, resp.Header.Revision), nil
}

// tryClaim claims wid in one transaction, reading its W in the same step.
// When the claim fails because wid is held, the same transaction reads what
// view lacks (the full listing when view is nil, else what changed since;
// see heldView), and tryClaim hands the view back, caught up, for
// coord.Search: a claim lost to another node costs this one try and no
// extra round trip.
//
// The same transaction creates the peer record leaf_temporary/<node> under
// the lease, only if no other lease holds it: one node name is one live
// process, as ZooKeeper's ephemeral znode makes it. A record under another
// lease of this Backend (a node taking a fresh WorkerID before giving its
// old one back) moves to the new lease. When the compare on the peer record
// fails, the transaction reads the record instead, to tell a live name
// (coord.ErrNodeLive) from a WorkerID taken (false).
func (b *Backend) tryClaim(ctx context.Context, c coord.Claim, id clientv3.LeaseID, wid int64, granted time.Time, view *heldView) (*lease, bool, *heldView, error) {
	holder := encode(Holder{Node: c.Node, Admin: c.Admin, Since: time.Now().UTC()})
	peer := encode(coord.Peer{Node: c.Node, Admin: c.Admin, WorkerID: wid})
	orElse := []clientv3.Op{clientv3.OpGet(peerKey(c.Node)), clientv3.OpGet(workerKey(wid))}
	if view == nil {
		orElse = append(orElse, clientv3.OpGet(workersDir, clientv3.WithPrefix()))
	} else {
		orElse = append(orElse, view.sinceOps()...)
	}
	var peerLease clientv3.LeaseID // the lease the peer record is expected under; none: absent
	for range 3 {
		peerCmp := clientv3.Compare(clientv3.CreateRevision(peerKey(c.Node)), "=", 0)
		if peerLease != clientv3.NoLease {
			peerCmp = clientv3.Compare(clientv3.LeaseValue(peerKey(c.Node)), "=", peerLease)
		}
		countTrip(ctx)
		resp, err := b.kv.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(workerKey(wid)), "=", 0), peerCmp).
			Then(
				clientv3.OpPut(workerKey(wid), holder, clientv3.WithLease(id)),
				clientv3.OpPut(peerKey(c.Node), peer, clientv3.WithLease(id)),
				clientv3.OpGet(highWaterKey(wid)),
			).
			Else(orElse...).
			Commit()
		if err != nil {
			return nil, false, nil, fmt.Errorf("%w: claiming WorkerId %d: %v", storeFault(err), wid, err)
		}
		era := b.observe(resp.Header)
		if resp.Succeeded {
			l, ok, err := b.claimed(ctx, c, id, wid, granted, resp, era)
			return l, ok, nil, err
		}
		kvs := resp.Responses[0].GetResponseRange().Kvs
		switch {
		case len(kvs) == 0 && peerLease == clientv3.NoLease,
			len(kvs) > 0 && kvs[0].Lease != 0 && clientv3.LeaseID(kvs[0].Lease) == peerLease:
			// The peer record is as expected: the WorkerID is taken, and
			// for good when its holder record is under no lease.
			if w := resp.Responses[1].GetResponseRange().Kvs; len(w) > 0 && w[0].Lease == 0 {
				return nil, false, nil, b.skip(workerKey(wid), wid, coord.StuckHolderError(workerKey(wid), wid,
					"is under no lease and never expires (idcoord did not write it)"))
			}
			return nil, false, caughtUp(view, resp), nil
		case len(kvs) == 0:
			peerLease = clientv3.NoLease // our other lease let it go meanwhile
		case kvs[0].Lease != 0 && b.isGranted(clientv3.LeaseID(kvs[0].Lease)):
			peerLease = clientv3.LeaseID(kvs[0].Lease)
		default:
			return nil, false, nil, b.nodeLive(ctx, c, kvs[0])
		}
	}
	return nil, false, nil, fmt.Errorf("%w: %s keeps changing hands; try again", coord.ErrNodeLive, peerKey(c.Node))
}

// caughtUp is view brought up to a failed claim's answer (whose Else ran
// the reads tryClaim chose for view): a new view from the full listing when
// view is nil.
func caughtUp(view *heldView, resp *clientv3.TxnResponse) *heldView {
	rev := resp.Header.Revision
	if view == nil {
		return newHeldView(resp.Responses[2].GetResponseRange().Kvs, rev)
	}
	view.catchUp(resp.Responses[2].GetResponseRange().Kvs, resp.Responses[3].GetResponseRange().Count, rev)
	return view
}

// claimed makes the lease of a successful claim transaction.
func (b *Backend) claimed(ctx context.Context, c coord.Claim, id clientv3.LeaseID, wid int64, granted time.Time, resp *clientv3.TxnResponse, era int) (*lease, bool, error) {
	var w time.Time
	if kvs := resp.Responses[2].GetResponseRange().Kvs; len(kvs) > 0 {
		hw, err := decode[HighWater](highWaterKey(wid), kvs[0].Value)
		if err != nil {
			// Give the WorkerID back before going on: the claim holds it.
			if uerr := b.unclaim(ctx, id, wid, resp.Header.Revision); uerr != nil {
				return nil, false, uerr
			}
			return nil, false, b.skip(highWaterKey(wid), wid, err)
		}
		w = hw.Time()
	}
	l, err := newLease(b, c, id, wid, resp.Header.Revision, w, granted, era)
	if err != nil {
		return nil, false, err // closed meanwhile; Acquire revokes the lease if it can
	}
	b.cfg.Logger.Info("claimed WorkerId", zap.Int64("worker-id", wid), zap.String("node", c.Node),
		zap.Time("high-water", w), zap.Int64("create-revision", resp.Header.Revision))
	return l, true, nil
}

// unclaim deletes workers/<wid> as the claim of lease id at revision rev
// made it, after its W turned out bad. The peer record stays under the
// lease: the next claim moves it (see tryClaim), and Acquire revokes the
// lease when none succeeds. An error ends the search; the revoke then
// removes the key with the lease.
func (b *Backend) unclaim(ctx context.Context, id clientv3.LeaseID, wid, rev int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.DialTimeout)
	defer cancel()
	countTrip(ctx)
	_, err := b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(workerKey(wid)), "=", rev),
			clientv3.Compare(clientv3.LeaseValue(workerKey(wid)), "=", id)).
		Then(clientv3.OpDelete(workerKey(wid))).
		Commit()
	if err != nil {
		return fmt.Errorf("%w: giving back WorkerId %d, whose W is bad: %v", storeFault(err), wid, err)
	}
	return nil
}

// skip logs and counts a WorkerID passed over because its record key needs
// an operator, and returns err (which wraps coord.ErrBadRecord), so that
// coord.Search goes on with the next candidate.
func (b *Backend) skip(key string, wid int64, err error) error {
	b.badRecords.Add(1)
	b.cfg.Logger.Warn("skipping a WorkerId whose record needs an operator", zap.Int64("worker-id", wid),
		zap.String("key", Prefix(b.cfg.Cluster)+key), zap.Error(err))
	return err
}

// BadRecords counts the records acquisitions through b skipped: a W that
// cannot be read, a holder record under no lease. Each skip counts, so one
// record met by several acquisitions counts several times.
func (b *Backend) BadRecords() int64 { return b.badRecords.Load() }

// nodeLive is the error for a node name whose peer record kv is held by a
// lease of another process (or by none). It asks etcd how long that lease
// has to live, so that a restarting node can wait for a crashed
// predecessor's lease to expire, and refuse a name that stays live.
func (b *Backend) nodeLive(ctx context.Context, c coord.Claim, kv *mvccpb.KeyValue) error {
	key := Prefix(b.cfg.Cluster) + peerKey(c.Node)
	where := key
	if p, err := decode[coord.Peer](key, kv.Value); err == nil {
		where = fmt.Sprintf("%s (WorkerId %d, admin %s)", key, p.WorkerID, p.Admin)
	}
	if kv.Lease == 0 {
		return &coord.NodeLiveError{Node: c.Node, Detail: fmt.Sprintf(
			"node.name %q is taken by %s, which is under no lease and never expires (idcoord did not write it): delete it, or give this node another --node.name",
			c.Node, where)}
	}
	holder := fmt.Sprintf("%x", kv.Lease)
	within := b.cfg.TTL
	countTrip(ctx)
	if ttl, err := b.client.TimeToLive(ctx, clientv3.LeaseID(kv.Lease)); err == nil && ttl.TTL > 0 {
		// A lease whose holder died is never renewed again: it goes within
		// its granted TTL of any instant.
		within = time.Duration(max(ttl.GrantedTTL, ttl.TTL)) * time.Second
	}
	return &coord.NodeLiveError{Node: c.Node, Holder: holder, Within: within, Detail: fmt.Sprintf(
		"node.name %q: %s is under etcd lease %s (were its process dead, the lease would expire within %s); "+
			"stop that process, or give this one another --node.name",
		c.Node, where, holder, within)}
}

// heldWorkers lists workers/, for a search that has no listing at hand.
func (b *Backend) heldWorkers(ctx context.Context) (*heldView, error) {
	countTrip(ctx)
	resp, err := b.kv.Get(ctx, workersDir, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("%w: listing WorkerIds: %v", storeFault(err), err)
	}
	return newHeldView(resp.Kvs, resp.Header.Revision), nil
}
