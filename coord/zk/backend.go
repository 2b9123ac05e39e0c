package zkcoord

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Backend is the ZooKeeper coordination store: one client session, shared
// by every Lease it hands out. It is safe for concurrent use.
type Backend struct {
	cfg  Config
	log  *zap.Logger
	p    paths
	conn atomic.Pointer[gozk.Conn]
	// socks are the connections of conn, closed with it (see sockets).
	socks atomic.Pointer[sockets]
	gen   atomic.Int64 // counts clients made; only the current one's events count

	badRecords atomic.Int64 // records acquisitions skipped (see coord.Skipped)
	ops        atomic.Int64 // requests sent (see Ops)
	acquireOps atomic.Int64 // requests sent by Acquire (see AcquireOps)
	lostRaces  atomic.Int64 // claims that found their WorkerID taken by another session

	hasSession chan struct{} // closed at the first session
	firstOnce  sync.Once
	stop       chan struct{} // closed by Close
	wg         sync.WaitGroup

	// claims is the claim lock, a token: a claim holds it from its first
	// look at the node's peer record until its lease is registered, and a
	// release while it deletes its znodes, so that a peer record moves from
	// one lease of this Backend to the next (see commitClaim) without a
	// release deleting it under the new lease.
	claims chan struct{}

	mu struct {
		sync.Mutex
		sess     session
		dialedAt time.Time    // when the current TCP connection was made
		reply    connectReply // the server's answer on it
		leases   map[*lease]struct{}
		// ended holds the final fence of each ended session that live
		// leases still belong to, until every one of them is told (see
		// fenceOf).
		ended map[int64]time.Time
		// peerOf names, per node name, the lease that leaf_temporary/<node>
		// was last written for; the record is that lease's to delete.
		peerOf map[string]*lease
		state  gozk.State
		tree   bool // the /idcoord/<cluster> directories exist
		closed bool
	}
}

var _ coord.Backend = (*Backend)(nil)

// New connects to ZooKeeper and waits for a session, for at most
// cfg.ConnectTimeout and while ctx lasts. It never starts from a cache: when
// no session is made in time it fails with an error wrapping
// coord.ErrUnreachable. Other errors: a bad Config, ctx's error, or an
// AddAuth failure.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	b := &Backend{
		cfg:        cfg,
		log:        cfg.Logger.With(zap.String("cluster", cfg.Cluster)),
		p:          newPaths(cfg.Cluster, cfg.LeafName),
		hasSession: make(chan struct{}),
		stop:       make(chan struct{}),
		claims:     make(chan struct{}, 1),
	}
	b.mu.leases = make(map[*lease]struct{})
	b.mu.ended = make(map[int64]time.Time)
	b.mu.peerOf = make(map[string]*lease)
	if err := b.connect(); err != nil {
		return nil, err
	}
	b.wg.Add(1)
	go b.heartbeat()

	wait, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	start := time.Now()
	select {
	case <-b.hasSession:
	case <-wait.Done():
		state, waited := b.state(), time.Since(start)
		b.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("zkcoord: connecting to ZooKeeper %v: %w", cfg.Servers, ctx.Err())
		}
		return nil, fmt.Errorf("%w: no ZooKeeper session with %v after %s (client state %s)",
			coord.ErrUnreachable, cfg.Servers, waited.Round(time.Millisecond), state)
	}
	for _, a := range cfg.Auth {
		_, err := do(wait, b, func(c *gozk.Conn) (struct{}, error) { return struct{}{}, c.AddAuth(a.Scheme, a.Secret) })
		if err != nil {
			b.Close()
			return nil, b.opErr(fmt.Sprintf("adding %q credentials", a.Scheme), err)
		}
	}
	return b, nil
}

// Close ends the session and stops every goroutine of the Backend. The
// server deletes the session's ephemeral znodes at once, so WorkerIDs held
// in ephemeral mode become free; Leases are not released (their final W is
// not written) and report coord.ErrClosed. Closing twice does nothing.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.mu.closed {
		b.mu.Unlock()
		return nil
	}
	b.mu.closed = true
	leases := b.leasesLocked()
	b.mu.Unlock()
	for _, l := range leases {
		l.lose(fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed))
	}
	close(b.stop)
	b.conn.Load().Close()
	b.socks.Load().close()
	b.wg.Wait()
	return nil
}

// connect makes a new client, with no session yet, the Backend's
// connection; the previous one, if any, is closed. Events of a replaced
// client are ignored.
func (b *Backend) connect() error {
	gen := b.gen.Add(1)
	socks := &sockets{}
	conn, events, err := gozk.Connect(b.cfg.Servers, b.cfg.SessionTimeout,
		gozk.WithDialer(socks.dial(b.dial)),
		gozk.WithEventCallback(func(ev gozk.Event) {
			if b.gen.Load() == gen {
				b.onEvent(ev)
			}
		}),
		gozk.WithLogger(zkLogger{b.log.Named("zk-client")}),
	)
	if err != nil {
		return fmt.Errorf("%w: ZooKeeper %v: %v", coord.ErrUnreachable, b.cfg.Servers, err)
	}
	b.mu.Lock()
	if b.mu.closed {
		b.mu.Unlock()
		conn.Close()
		socks.close()
		for range events {
		}
		return fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed)
	}
	old, oldSocks := b.conn.Swap(conn), b.socks.Swap(socks)
	b.mu.Unlock()
	if old != nil {
		old.Close()
		oldSocks.close()
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for range events { // closed once the client has stopped every goroutine
		}
	}()
	return nil
}

// dial connects to one server and watches for its connect reply.
func (b *Backend) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	// The read timeout go-zookeeper itself uses once connected.
	return &sniffConn{Conn: c, handshake: b.cfg.SessionTimeout * 2 / 3, onReply: b.onConnectReply}, nil
}

func (b *Backend) onConnectReply(r connectReply) {
	b.mu.Lock()
	b.mu.reply = r
	b.mu.Unlock()
}

// onEvent follows the session. It runs on the client's goroutine and must
// not block.
func (b *Backend) onEvent(ev gozk.Event) {
	if ev.Type != gozk.EventSession {
		return
	}
	now := time.Now()
	b.mu.Lock()
	b.mu.state = ev.State
	var lost []*lease
	var why error
	var final time.Time // the fence of the session the lost leases had
	switch ev.State {
	case gozk.StateConnected:
		b.mu.dialedAt = now
		b.mu.reply = connectReply{}
	case gozk.StateHasSession:
		r := b.mu.reply
		if r.session == 0 || r.timeout <= 0 {
			// Not seen on the wire: fall back to what was asked for.
			r = connectReply{timeout: b.cfg.SessionTimeout}
			if c := b.conn.Load(); c != nil {
				r.session = c.SessionID()
			}
			b.log.Warn("could not read the negotiated session timeout; using the one asked for",
				zap.Duration("timeout", r.timeout))
		}
		if r.session != b.mu.sess.id {
			if b.mu.sess.id != 0 {
				why = fmt.Errorf("%w: ZooKeeper session %s was replaced by %s", coord.ErrFenced, sessionHex(b.mu.sess.id), sessionHex(r.session))
				lost, final = b.endLocked(now)
			}
			// A new session: the leader made it after the connection was.
			// It may be on a store restored from a backup, which lacks
			// the directories made in the old one.
			b.mu.sess = session{id: r.session, timeout: r.timeout, heard: b.mu.dialedAt}
			b.mu.tree = false
		} else {
			// The server took the session back after the connection was
			// made; an ensemble member asks the leader first, which renews
			// the session's timeout as it answers.
			if b.mu.dialedAt.After(b.mu.sess.heard) {
				b.mu.sess.heard = b.mu.dialedAt
			}
			b.mu.sess.timeout = min(b.mu.sess.timeout, r.timeout)
		}
		b.log.Info("ZooKeeper session established", zap.String("session", sessionHex(r.session)),
			zap.Duration("negotiated-timeout", r.timeout), zap.String("server", ev.Server))
		b.firstOnce.Do(func() { close(b.hasSession) })
	case gozk.StateExpired:
		why = fmt.Errorf("%w: ZooKeeper session %s expired", coord.ErrFenced, sessionHex(b.mu.sess.id))
		lost, final = b.endLocked(now)
		b.mu.sess.id = 0
		b.log.Warn("ZooKeeper session expired; WorkerIds held by it are lost")
	case gozk.StateDisconnected:
		if b.mu.sess.id != 0 && !b.mu.closed {
			b.log.Warn("disconnected from ZooKeeper; the fence is not extended until the session is heard from",
				zap.Duration("fence-in", b.deadlineLocked(b.mu.sess.id).Sub(now)))
		}
	case gozk.StateAuthFailed:
		b.log.Error("ZooKeeper authentication failed")
	}
	b.mu.Unlock()
	if hook := beforeLoss.Load(); hook != nil && len(lost) > 0 {
		(*hook)(lost)
	}
	for _, l := range lost {
		l.loseAt(why, final)
	}
}

func (b *Backend) state() gozk.State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.state
}

// leasesLocked lists the live leases.
func (b *Backend) leasesLocked() []*lease {
	ls := make([]*lease, 0, len(b.mu.leases))
	for l := range b.mu.leases {
		ls = append(ls, l)
	}
	return ls
}

// register adds a new lease of session sid, unless that session has ended
// since the claim, in which case the claim is lost already.
func (b *Backend) register(l *lease) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.mu.closed:
		return fmt.Errorf("%w: the ZooKeeper backend was closed", coord.ErrClosed)
	case b.mu.sess.id != l.sid:
		return fmt.Errorf("%w: the ZooKeeper session ended while WorkerId %d was claimed", coord.ErrUnreachable, l.wid)
	}
	b.mu.leases[l] = struct{}{}
	b.mu.peerOf[l.claim.Node] = l // the claim created the peer record, or moved it here
	return nil
}

// peerHolder returns the live lease of this Backend that node's peer record
// names, or nil.
func (b *Backend) peerHolder(node string) *lease {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.mu.peerOf[node]
	if _, live := b.mu.leases[l]; !live {
		return nil
	}
	return l
}

// dropPeer reports whether l's peer record is l's to delete, that is, it
// was not moved to a later lease since, and forgets it.
func (b *Backend) dropPeer(l *lease) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.peerOf[l.claim.Node] != l {
		return false
	}
	delete(b.mu.peerOf, l.claim.Node)
	return true
}

// lockClaims takes the claim lock, or returns ctx's error.
func (b *Backend) lockClaims(ctx context.Context) error {
	select {
	case b.claims <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("zkcoord: waiting for another claim or release of this process: %w", ctx.Err())
	}
}

func (b *Backend) unlockClaims() { <-b.claims }

func (b *Backend) forget(l *lease) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.mu.leases, l)
	if _, ok := b.mu.ended[l.sid]; !ok {
		return
	}
	for other := range b.mu.leases {
		if other.sid == l.sid {
			return // not every lease of the ended session is told yet
		}
	}
	delete(b.mu.ended, l.sid)
}

// holds reports whether a live lease of this Backend owns the ephemeral znode
// at path.
func (b *Backend) holds(path string) (*lease, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for l := range b.mu.leases {
		if l.workerPath == path || l.peerPath == path {
			return l, true
		}
	}
	return nil, false
}

func sessionHex(id int64) string { return fmt.Sprintf("0x%x", id) }
