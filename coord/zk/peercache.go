package zkcoord

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// peerRefresh is how many cached peer records CachedPeers reads again per
// call, the longest unread first: with N peers, a rewritten record (a node
// that moved to another WorkerID) shows within N/peerRefresh calls, and a
// call never costs more than 1 + new + peerRefresh requests.
const peerRefresh = 16

var _ coord.PeerCache = (*Backend)(nil)

// peerCache is the Backend's copy of leaf_temporary/. It sets no watch:
// go-zookeeper v1.0.4 races when it re-sends watches after a reconnect (see
// watch.go). Its lock is a token, so that a call waiting for it still
// honours its context.
type peerCache struct {
	lock    chan struct{}
	calls   uint64
	entries map[string]*cachedPeer
}

// cachedPeer is one peer record as last read.
type cachedPeer struct {
	peer   coord.Peer
	ok     bool   // the record could be decoded
	readAt uint64 // the call that read it last
}

// CachedPeers lists the live nodes of the cluster, this one included,
// sorted by node name, from the Backend's copy of leaf_temporary/: each
// call lists the directory (one request), reads the records of names it has
// not seen, reads again up to peerRefresh of the records read longest ago,
// and forgets names no longer listed. Joins and leaves show at the next
// call; a rewritten record within about N/peerRefresh calls. A record that
// cannot be decoded is logged and left out. Safe for concurrent use; calls
// run one at a time.
func (b *Backend) CachedPeers(ctx context.Context) ([]coord.Peer, error) {
	select {
	case b.peerCache.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("zkcoord: waiting for another listing of peers: %w", ctx.Err())
	}
	defer func() { <-b.peerCache.lock }()
	pc := &b.peerCache
	names, err := b.children(ctx, b.p.peers)
	if err != nil {
		return nil, err
	}
	pc.calls++
	listed := make(map[string]bool, len(names))
	var read []string // names not cached yet, then the longest unread
	for _, n := range names {
		listed[n] = true
		if pc.entries[n] == nil {
			read = append(read, n)
		}
	}
	var cached []string
	for n := range pc.entries {
		if !listed[n] {
			delete(pc.entries, n)
			continue
		}
		cached = append(cached, n)
	}
	slices.SortFunc(cached, func(x, y string) int {
		return cmp.Or(cmp.Compare(pc.entries[x].readAt, pc.entries[y].readAt), cmp.Compare(x, y))
	})
	read = append(read, cached[:min(len(cached), peerRefresh)]...)
	zs, err := b.getAll(ctx, b.p.peers, read)
	if err != nil {
		return nil, b.opErr("reading "+b.p.peers, err)
	}
	for i, z := range zs {
		n := read[i]
		if z.data == nil {
			delete(pc.entries, n) // gone since the listing
			continue
		}
		p, err := decodeJSON[coord.Peer](b.p.peer(n), z.data)
		if err != nil {
			b.log.Warn("skipping a bad peer record", zap.Error(err))
		}
		pc.entries[n] = &cachedPeer{peer: p, ok: err == nil, readAt: pc.calls}
	}
	peers := make([]coord.Peer, 0, len(pc.entries))
	for _, e := range pc.entries {
		if e.ok {
			peers = append(peers, e.peer)
		}
	}
	slices.SortFunc(peers, func(x, y coord.Peer) int { return cmp.Compare(x.Node, y.Node) })
	return peers, nil
}
