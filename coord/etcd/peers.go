package etcd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

var _ coord.PeerSampler = (*Backend)(nil)

// maxTxnReads bounds the reads of one sampling transaction: etcd refuses a
// transaction of more than --max-txn-ops operations, 128 by default.
const maxTxnReads = 120

// Peers lists leaf_temporary/ in one linearizable read: every live node, as
// the store has them now, sorted by node name. A record that cannot be
// decoded is logged and left out.
func (b *Backend) Peers(ctx context.Context) ([]coord.Peer, error) {
	resp, err := b.kv.Get(ctx, temporaryDir, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("%w: listing peers: %v", storeFault(err), err)
	}
	peers := make([]coord.Peer, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		p, err := decode[coord.Peer](string(kv.Key), kv.Value)
		if err != nil {
			b.cfg.Logger.Warn("skipping a bad peer record", zap.Error(err))
			continue
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// SamplePeers draws at most k live nodes other than self in one read-only
// transaction of 2k + 3 reads, whatever the cluster's size: the number of
// peer records and whether self has one (counts only), and 2k draws, each
// the first holder record at or after workers/<w> in key order for a
// WorkerID w drawn uniformly from the cluster's range (wrapping round to the
// first record). Duplicates and self are dropped; when that leaves fewer
// than k of a small cluster (at most maxTxnReads others), it lists the peer
// records instead, so a small cluster is asked in full.
//
// A holder is drawn with a chance proportional to the number of WorkerIDs
// whose keys fall between the previous holder's key and its own: uniform
// when the range is full, and within the spread of those gaps otherwise
// (WorkerIDs are drawn at random at claims, so the gaps are random too).
// Holder records, not peer records, are drawn: their keys are WorkerIDs,
// which can be drawn uniformly, where node names cannot.
//
// The range is known once the Backend has read the cluster's layout
// (Layout) or claimed; before that SamplePeers reads every peer record and
// draws from them.
func (b *Backend) SamplePeers(ctx context.Context, k int, self string) ([]coord.Peer, int, error) {
	if b.isClosed() {
		return nil, 0, errClosed()
	}
	maxWID := b.maxWorker.Load()
	if maxWID < 1 || k <= 0 {
		return b.samplePeerList(ctx, k, self)
	}
	draws := min(2*k, maxTxnReads)
	ops := []clientv3.Op{
		clientv3.OpGet(temporaryDir, clientv3.WithPrefix(), clientv3.WithCountOnly()),
		clientv3.OpGet(peerKey(self), clientv3.WithCountOnly()),
		clientv3.OpGet(workersDir, clientv3.WithPrefix(), clientv3.WithLimit(1)), // where a draw past the last key wraps
	}
	end := clientv3.GetPrefixRangeEnd(workersDir)
	for range draws {
		ops = append(ops, clientv3.OpGet(workerKey(rand.Int64N(maxWID)+1), clientv3.WithRange(end), clientv3.WithLimit(1)))
	}
	b.peerReads.Add(1)
	resp, err := b.kv.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: sampling peers: %v", storeFault(err), err)
	}
	b.observe(resp.Header)
	others := int(resp.Responses[0].GetResponseRange().Count - resp.Responses[1].GetResponseRange().Count)
	first := resp.Responses[2].GetResponseRange().Kvs
	sample := make([]coord.Peer, 0, k)
	seen := map[string]bool{self: true}
	for _, r := range resp.Responses[3:] {
		kvs := r.GetResponseRange().Kvs
		if len(kvs) == 0 {
			kvs = first
		}
		if len(kvs) == 0 || kvs[0].Lease == 0 {
			continue // none held, or a stuck record (see Skipped)
		}
		wid, err := strconv.ParseInt(strings.TrimPrefix(string(kvs[0].Key), workersDir), 10, 64)
		if err != nil {
			continue
		}
		h, err := decode[Holder](string(kvs[0].Key), kvs[0].Value)
		if err != nil || seen[h.Node] {
			continue
		}
		seen[h.Node] = true
		sample = append(sample, coord.Peer{Node: h.Node, Admin: h.Admin, WorkerID: wid})
		if len(sample) == k {
			break
		}
	}
	if len(sample) < min(k, others) && others <= maxTxnReads {
		// Draws land on the same few holders of a small cluster: its
		// listing is as cheap as a sample, and asks every peer it can.
		return b.samplePeerList(ctx, k, self)
	}
	return sample, max(others, 0), nil
}

// samplePeerList draws at most k of every peer record but self's.
func (b *Backend) samplePeerList(ctx context.Context, k int, self string) ([]coord.Peer, int, error) {
	b.peerReads.Add(1)
	peers, err := b.Peers(ctx)
	if err != nil {
		return nil, 0, err
	}
	others := make([]coord.Peer, 0, len(peers))
	for _, p := range peers {
		if p.Node != self {
			others = append(others, p)
		}
	}
	return coord.Draw(others, k), len(others), nil
}

// knowRange records the cluster's largest WorkerID, the range SamplePeers
// draws from.
func (b *Backend) knowRange(maxWorkerID int64) {
	if maxWorkerID > 0 {
		b.maxWorker.Store(maxWorkerID)
	}
}
