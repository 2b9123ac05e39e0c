package etcd

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

var _ coord.PeerCache = (*Backend)(nil)

// Bounds of the pause between two failed listings while the peer copy
// resyncs: short enough to catch up soon after etcd answers again, long
// enough not to press a store that is struggling.
const (
	peerResyncMinPause = 100 * time.Millisecond
	peerResyncMaxPause = 5 * time.Second
)

// Peers lists leaf_temporary/ in one linearizable read: every live node, as
// the store has them now.
func (b *Backend) Peers(ctx context.Context) ([]coord.Peer, error) {
	records, _, err := b.listPeers(ctx)
	if err != nil {
		return nil, err
	}
	return sortedPeers(records), nil
}

// CachedPeers lists the live nodes from a copy of leaf_temporary/ that a
// watch keeps current (see the package doc, "Listing peers"). The first
// call reads the records and starts the watch from the revision of that
// read; later calls read nothing while the copy is in step. While it is not
// (the watch ended and the copy is being read again), each call reads the
// records once, as Peers does. Close stops the watch. Safe for concurrent
// use.
func (b *Backend) CachedPeers(ctx context.Context) ([]coord.Peer, error) {
	if b.isClosed() {
		return nil, errClosed()
	}
	if peers, ok := b.peerCopy.list(); ok {
		return peers, nil
	}
	b.peerCopy.reads.Add(1)
	records, rev, err := b.listPeers(ctx)
	if err != nil {
		return nil, err
	}
	b.startPeerWatch(records, rev)
	return sortedPeers(records), nil
}

// listPeers reads leaf_temporary/: the records by key, and the revision of
// the read. A record that cannot be decoded is logged and left out.
func (b *Backend) listPeers(ctx context.Context) (map[string]coord.Peer, int64, error) {
	resp, err := b.kv.Get(ctx, temporaryDir, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("%w: listing peers: %v", storeFault(err), err)
	}
	records := make(map[string]coord.Peer, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if p, ok := b.decodePeer(kv); ok {
			records[string(kv.Key)] = p
		}
	}
	return records, resp.Header.Revision, nil
}

func (b *Backend) decodePeer(kv *mvccpb.KeyValue) (coord.Peer, bool) {
	p, err := decode[coord.Peer](string(kv.Key), kv.Value)
	if err != nil {
		b.cfg.Logger.Warn("skipping a bad peer record", zap.Error(err))
		return coord.Peer{}, false
	}
	return p, true
}

func sortedPeers(records map[string]coord.Peer) []coord.Peer {
	peers := make([]coord.Peer, 0, len(records))
	for _, key := range slices.Sorted(maps.Keys(records)) {
		peers = append(peers, records[key])
	}
	return peers
}

// peerCopy is the copy of leaf_temporary/ behind CachedPeers.
type peerCopy struct {
	// reads counts the listings of leaf_temporary/ made for CachedPeers:
	// its own while the copy is not in step, and the watch's resyncs.
	reads atomic.Int64
	// wg tracks the watch goroutine; Close waits for it.
	wg sync.WaitGroup

	mu struct {
		sync.Mutex
		records map[string]coord.Peer // by key
		synced  bool                  // records are in step with the watch
	}
}

// list returns the copy, and false when it is not in step.
func (c *peerCopy) list() ([]coord.Peer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.mu.synced {
		return nil, false
	}
	return sortedPeers(c.mu.records), true
}

// reset replaces the copy with records, read at the revision the watch
// goes on from.
func (c *peerCopy) reset(records map[string]coord.Peer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.records, c.mu.synced = records, true
}

// drop marks the copy out of step: the watch ended, events may be missed.
func (c *peerCopy) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.records, c.mu.synced = nil, false
}

// applyPeerEvents brings the copy up to one watch answer. A put under a key sets its
// record (one that cannot be decoded takes the key out, as listPeers leaves
// it out); a delete, by hand or by the expiry of its lease, removes it.
func (b *Backend) applyPeerEvents(events []*clientv3.Event) {
	c := &b.peerCopy
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range events {
		key := string(ev.Kv.Key)
		if !strings.HasPrefix(key, temporaryDir) {
			continue
		}
		p, ok := coord.Peer{}, false
		if ev.Type == clientv3.EventTypePut {
			p, ok = b.decodePeer(ev.Kv)
		}
		if ok {
			c.mu.records[key] = p
		} else {
			delete(c.mu.records, key)
		}
	}
}

// startPeerWatch installs records, read at revision rev, as the copy and
// starts the goroutine that keeps it current, unless it runs already or b
// is closed.
func (b *Backend) startPeerWatch(records map[string]coord.Peer, rev int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.closed || b.mu.stopPeerWatch != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	b.mu.stopPeerWatch = stop
	b.peerCopy.reset(records)
	b.peerCopy.wg.Add(1)
	go func() {
		defer b.peerCopy.wg.Done()
		b.followPeers(ctx, rev)
	}()
}

// followPeers keeps the copy current from revision rev on until ctx ends.
// When the watch ends (history compacted past its revision, cancelled by
// the server, no leader, its channel closed) the copy goes out of step, is
// read again, and a new watch goes on from that read. A watch that keeps
// ending as soon as it starts is given a growing pause, so that this never
// turns into a busy loop of listings.
func (b *Backend) followPeers(ctx context.Context, rev int64) {
	var pause time.Duration
	for {
		started := time.Now()
		err := b.watchPeers(ctx, rev)
		b.peerCopy.drop()
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) < peerResyncMaxPause {
			pause = min(max(2*pause, peerResyncMinPause), peerResyncMaxPause)
		} else {
			pause = 0
		}
		b.cfg.Logger.Info("the watch of the peer records ended; reading them again", zap.Error(err),
			zap.Duration("after", pause))
		if !sleep(ctx, pause) {
			return
		}
		var ok bool
		if rev, ok = b.resyncPeers(ctx); !ok {
			return
		}
	}
}

// watchPeers applies the events of leaf_temporary/ after revision rev to the
// copy until the watch ends, and returns why.
func (b *Backend) watchPeers(ctx context.Context, rev int64) error {
	// Require a leader: a member cut off from its cluster would otherwise
	// keep the watch open and silent, and the copy would go stale unseen.
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range b.watch.Watch(wctx, temporaryDir, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if err := resp.Err(); err != nil {
			return err
		}
		b.applyPeerEvents(resp.Events)
	}
	return ctx.Err() // nil: the channel closed
}

// resyncPeers reads leaf_temporary/ into the copy, trying again after a
// pause while etcd does not answer, and returns the revision of the read;
// false when ctx ended first.
func (b *Backend) resyncPeers(ctx context.Context) (int64, bool) {
	pause := peerResyncMinPause
	for {
		b.peerCopy.reads.Add(1)
		records, rev, err := b.listPeers(ctx)
		if err == nil {
			b.peerCopy.reset(records)
			return rev, true
		}
		if ctx.Err() != nil {
			return 0, false
		}
		b.cfg.Logger.Warn("reading the peer records again", zap.Error(err), zap.Duration("retry-in", pause))
		if !sleep(ctx, pause) {
			return 0, false
		}
		pause = min(2*pause, peerResyncMaxPause)
	}
}

// sleep pauses for d, and reports false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
