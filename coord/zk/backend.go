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

	hasSession chan struct{} // closed at the first session
	firstOnce  sync.Once
	stop       chan struct{} // closed by Close
	wg         sync.WaitGroup

	mu struct {
		sync.Mutex
		sess     session
		dialedAt time.Time    // when the current TCP connection was made
		reply    connectReply // the server's answer on it
		leases   map[*lease]struct{}
		state    gozk.State
		tree     bool // the /idcoord/<cluster> directories exist
		closed   bool
	}
}

// session is what the Backend knows of its current ZooKeeper session.
type session struct {
	id      int64
	timeout time.Duration // as negotiated with the server
	// heard is the latest instant, on the monotonic clock, at which a
	// request was sent that the server answered in this session. The
	// server cannot expire the session before heard + timeout.
	heard time.Time
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
	}
	b.mu.leases = make(map[*lease]struct{})
	conn, events, err := gozk.Connect(cfg.Servers, cfg.SessionTimeout,
		gozk.WithDialer(b.dial),
		gozk.WithEventCallback(b.onEvent),
		gozk.WithLogger(zkLogger{b.log.Named("zk-client")}),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: ZooKeeper %v: %v", coord.ErrUnreachable, cfg.Servers, err)
	}
	b.conn.Store(conn)
	b.wg.Add(2)
	go func() {
		defer b.wg.Done()
		for range events { // closed once the client has stopped every goroutine
		}
	}()
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
	b.wg.Wait()
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
				lost, final = b.leasesLocked(), b.deadlineLocked(b.mu.sess.id)
			}
			b.mu.sess = session{id: r.session, timeout: r.timeout, heard: b.mu.dialedAt}
		} else {
			// The server took the session back after the connection was made.
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
		lost, final = b.leasesLocked(), b.deadlineLocked(b.mu.sess.id)
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
	for _, l := range lost {
		l.loseAt(why, earlier(final, now))
	}
}

// heartbeat sends a cheap request every third of the session timeout, so the
// fence deadline moves on while the session lives. go-zookeeper's own pings
// are not reported to its caller, so they cannot serve.
func (b *Backend) heartbeat() {
	defer b.wg.Done()
	t := time.NewTimer(b.currentSession().interval(b.cfg.SessionTimeout))
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		interval := b.currentSession().interval(b.cfg.SessionTimeout)
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		_, _ = do(ctx, b, func(c *gozk.Conn) (bool, error) {
			ok, _, err := c.Exists(b.p.root)
			return ok, err
		})
		cancel()
		t.Reset(interval)
	}
}

// interval is a third of the negotiated timeout, or of fallback before the
// first session.
func (s session) interval(fallback time.Duration) time.Duration {
	if s.timeout > 0 {
		return s.timeout / 3
	}
	return fallback / 3
}

func (b *Backend) currentSession() session {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.sess
}

func (b *Backend) state() gozk.State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.state
}

// heard records that a request sent at sent was answered in session sid.
func (b *Backend) heard(sid int64, sent time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sid != 0 && b.mu.sess.id == sid && sent.After(b.mu.sess.heard) {
		b.mu.sess.heard = sent
	}
}

// deadline is the fence of session sid, and false when sid is not the
// current session.
func (b *Backend) deadline(sid int64) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sid == 0 || b.mu.sess.id != sid {
		return time.Time{}, false
	}
	return b.deadlineLocked(sid), true
}

func (b *Backend) deadlineLocked(sid int64) time.Time {
	s := b.mu.sess
	margin := b.cfg.Margin
	if margin == 0 {
		margin = s.timeout / 6
	}
	return s.heard.Add(s.timeout - margin)
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
	return nil
}

func (b *Backend) forget(l *lease) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.mu.leases, l)
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

// earlier returns the earlier of two instants.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
