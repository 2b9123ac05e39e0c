package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

var _ coord.Inspector = (*Backend)(nil)

// Holdings reads workers/, hw/ and leaf_forever/ in one transaction, so
// every row comes from one revision, then asks the server for the time left
// on each holder's lease.
func (b *Backend) Holdings(ctx context.Context) ([]coord.Holding, error) {
	resp, err := b.kv.Txn(ctx).Then(
		clientv3.OpGet(workersDir, clientv3.WithPrefix()),
		clientv3.OpGet(highWaterDir, clientv3.WithPrefix()),
		clientv3.OpGet(foreverDir, clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("%w: reading the WorkerIds of cluster %q: %v", storeFault(err), b.cfg.Cluster, err)
	}
	var live []coord.Holding
	leases := make(map[int64]clientv3.LeaseID)
	for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
		if kv.Lease == 0 {
			// Stuck: listed even when its record cannot be read, so that
			// an operator sees what to clear.
			if wid, ok := b.workerIDOf(kv, workersDir); ok {
				h, _ := decode[Holder](string(kv.Key), kv.Value)
				live = append(live, coord.Holding{WorkerID: wid, Node: h.Node, Admin: h.Admin, Since: h.Since, Stuck: true})
			}
			continue
		}
		wid, h, ok := workerRecord[Holder](b, kv, workersDir, "holder record")
		if !ok {
			continue
		}
		live = append(live, coord.Holding{WorkerID: wid, Node: h.Node, Admin: h.Admin, Since: h.Since})
		leases[wid] = clientv3.LeaseID(kv.Lease)
	}
	var marks []coord.Mark
	for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
		wid, ok := b.workerIDOf(kv, highWaterDir)
		if !ok {
			continue
		}
		hw, err := decode[HighWater](string(kv.Key), kv.Value)
		if err != nil {
			b.cfg.Logger.Warn("a W record cannot be read; acquisitions skip its WorkerId", zap.Error(err))
			marks = append(marks, coord.Mark{WorkerID: wid, Bad: err.Error()})
			continue
		}
		marks = append(marks, coord.Mark{WorkerID: wid, W: hw.Time(), Holder: hw.Holder})
	}
	reports := make(map[string]coord.Report)
	for _, kv := range resp.Responses[2].GetResponseRange().Kvs {
		r, err := decode[coord.Report](string(kv.Key), kv.Value)
		if err != nil {
			b.cfg.Logger.Warn("skipping a bad clock report", zap.Error(err))
			continue
		}
		reports[strings.TrimPrefix(string(kv.Key), foreverDir)] = r
	}
	rows := coord.MergeHoldings(live, marks, reports)
	b.fillLeaseLeft(ctx, rows, leases)
	return rows, nil
}

// ttlRequests bounds the TimeToLive requests in flight at once.
const ttlRequests = 16

// fillLeaseLeft asks the server for the time left on the lease of every
// held row, a few requests at a time.
func (b *Backend) fillLeaseLeft(ctx context.Context, rows []coord.Holding, leases map[int64]clientv3.LeaseID) {
	slots := make(chan struct{}, ttlRequests)
	var wg sync.WaitGroup
	for i := range rows {
		id, ok := leases[rows[i].WorkerID]
		if !ok {
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			rows[i].LeaseLeft = b.leaseLeft(ctx, id)
		})
	}
	wg.Wait()
}

// workerIDOf reads the WorkerID out of a key under dir.
func (b *Backend) workerIDOf(kv *mvccpb.KeyValue, dir string) (int64, bool) {
	wid, err := strconv.ParseInt(strings.TrimPrefix(string(kv.Key), dir), 10, 64)
	if err != nil {
		b.cfg.Logger.Warn("skipping a key that names no WorkerId", zap.String("key", string(kv.Key)))
		return 0, false
	}
	return wid, true
}

// workerRecord reads a key under dir as a WorkerID and its record of type
// T. It returns false, after a warning that names what the record is, when
// the key names no WorkerID or the record cannot be read.
func workerRecord[T any](b *Backend, kv *mvccpb.KeyValue, dir, what string) (int64, T, bool) {
	var rec T
	wid, ok := b.workerIDOf(kv, dir)
	if !ok {
		return 0, rec, false
	}
	rec, err := decode[T](string(kv.Key), kv.Value)
	if err != nil {
		b.cfg.Logger.Warn("skipping a bad "+what, zap.Error(err))
		return 0, rec, false
	}
	return wid, rec, true
}

// leaseLeft is the time the server gives lease id, 0 when it has expired or
// was never a lease, and -1 when the server cannot be asked.
func (b *Backend) leaseLeft(ctx context.Context, id clientv3.LeaseID) time.Duration {
	if id == clientv3.NoLease {
		return 0
	}
	resp, err := b.client.TimeToLive(ctx, id)
	switch {
	case err != nil:
		b.cfg.Logger.Warn("could not read a lease's time to live", zap.Error(err))
		return -1
	case resp.TTL < 0:
		return 0
	}
	return time.Duration(resp.TTL) * time.Second
}

// History walks back through the revisions of leaf_forever/<node>: the
// current value, then the value before each write, at most
// coord.HistoryDepth reports. etcd keeps every revision until it is
// compacted (auto-compaction, or etcdctl compact), so the walk stops at the
// compacted revision, and also where the key was created: a report deleted
// and written again starts a new history. A node reports every 3 s, so the
// history spans about a minute when nothing was compacted.
func (b *Backend) History(ctx context.Context, node string) ([]coord.Report, error) {
	key := foreverKey(node)
	resp, err := b.kv.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %v", storeFault(err), key, err)
	}
	var out []coord.Report
	for len(resp.Kvs) > 0 && len(out) < coord.HistoryDepth {
		kv := resp.Kvs[0]
		r, err := decode[coord.Report](key, kv.Value)
		if err != nil {
			b.cfg.Logger.Warn("skipping a bad clock report in the history", zap.Error(err), zap.Int64("revision", kv.ModRevision))
		} else {
			out = append(out, r)
		}
		if kv.ModRevision <= kv.CreateRevision {
			break // the first write of this incarnation of the key
		}
		resp, err = b.kv.Get(ctx, key, clientv3.WithRev(kv.ModRevision-1))
		if errors.Is(err, rpctypes.ErrCompacted) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: reading %s at revision %d: %v", storeFault(err), key, kv.ModRevision-1, err)
		}
	}
	return out, nil
}

// Revoke revokes the lease that workers/<wid> is under. That deletes the
// holder record and the holder's peer record at once; the holder's watch on
// workers/<wid> fences it, and it acquires again. Revoking by lease ID is
// safe against a race: if the WorkerID changed hands since it was read, the
// old lease is gone and nothing is revoked. A holder record written by hand
// without a lease is deleted instead, if unchanged.
func (b *Backend) Revoke(ctx context.Context, wid int64) (string, error) {
	key := workerKey(wid)
	resp, err := b.kv.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("%w: reading %s: %v", storeFault(err), key, err)
	}
	if len(resp.Kvs) == 0 {
		return "", fmt.Errorf("%w: WorkerId %d has no holder in cluster %q", coord.ErrNotHeld, wid, b.cfg.Cluster)
	}
	kv := resp.Kvs[0]
	h, err := decode[Holder](key, kv.Value)
	if err != nil {
		b.cfg.Logger.Warn("revoking a WorkerId whose holder record cannot be read", zap.Error(err))
	}
	if id := clientv3.LeaseID(kv.Lease); id != clientv3.NoLease {
		_, err := b.client.Revoke(ctx, id)
		switch {
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			return "", fmt.Errorf("%w: the lease of WorkerId %d ended while it was being revoked", coord.ErrNotHeld, wid)
		case err != nil:
			return "", fmt.Errorf("%w: revoking the lease %x of WorkerId %d: %v", storeFault(err), int64(id), wid, err)
		}
		b.cfg.Logger.Info("revoked a WorkerId", zap.Int64("worker-id", wid), zap.String("holder", h.Node),
			zap.String("lease", fmt.Sprintf("%x", int64(id))))
		return h.Node, nil
	}
	del, err := b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: deleting %s: %v", storeFault(err), key, err)
	case !del.Succeeded:
		return "", fmt.Errorf("%w: %s changed while it was being revoked; look again before revoking", coord.ErrNotHeld, key)
	}
	return h.Node, nil
}
