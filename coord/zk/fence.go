package zkcoord

import (
	"context"
	"sync/atomic"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"
)

// The session fence, as the package doc describes it: the instant the
// leader last held the session (heard), the Deadline counted from it
// (fenceOf), the final fence of a session that ended (endLocked), the sync
// that moves it on (heartbeat), and the session given up for a new one
// (abandoned).

// session is what the Backend knows of its current ZooKeeper session.
type session struct {
	id      int64
	timeout time.Duration // as negotiated with the server
	// heard is the latest instant, on the monotonic clock, after which the
	// leader is known to have held this session: the send time of the
	// latest write or sync answered in it, or the making of the connection
	// the session was (re)established on. The fence counts from it (see
	// the package doc); reads never move it.
	heard time.Time
}

// abandoned reports whether the current session has gone unheard, with no
// connection, for longer than its timeout past its fence: no server can
// give it back any more. Either it has expired, or the servers never knew
// it: a server restored from a backup refuses a client that has seen later
// transactions than its own, and go-zookeeper then retries forever with
// the same session, never hearing that it expired.
func (b *Backend) abandoned(now time.Time) (bool, session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.mu.sess
	if s.id == 0 || b.mu.closed || b.mu.state == gozk.StateHasSession {
		return false, s
	}
	return now.After(b.deadlineLocked(s.id).Add(s.timeout)), s
}

// endLocked records that the current session ended, learnt at now, and
// returns its live leases, which the caller tells, and their final fence:
// the session's fence, or now if that is earlier. Until a lease is told,
// its Deadline is that final fence (see fenceOf), already passed: a caller
// that reads the clock before the deadline must find it expired.
func (b *Backend) endLocked(now time.Time) ([]*lease, time.Time) {
	sid := b.mu.sess.id
	final := earlier(b.deadlineLocked(sid), now)
	lost := b.leasesLocked()
	if len(lost) > 0 {
		b.mu.ended[sid] = final
	}
	return lost, final
}

// beforeLoss, when set by a test, runs after the Backend has learnt that its
// session ended and before the session's leases are told: the moment in
// which a lease must already refuse.
var beforeLoss atomic.Pointer[func(lost []*lease)]

// heartbeat sends a sync every third of the session timeout, so the fence
// deadline moves on while the leader holds the session. A read would not
// do: a follower cut off from its leader still answers reads from its own
// copy (see do). A sync goes to the leader, which checks the session first,
// so its answer proves the session live after the sync was sent.
// go-zookeeper's own pings are not reported to its caller, and a follower
// answers them by itself too, so they cannot serve.
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
		if gone, s := b.abandoned(time.Now()); gone {
			b.log.Warn("no ZooKeeper server has taken the session back for over twice its timeout: it has expired, "+
				"or the store no longer knows it (restored from a backup); starting a new session, WorkerIds held by the old one are lost",
				zap.String("session", sessionHex(s.id)), zap.Duration("unheard-for", time.Since(s.heard).Round(time.Millisecond)))
			if err := b.connect(); err != nil {
				b.log.Warn("could not start a new ZooKeeper client", zap.Error(err))
			}
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			_, _ = doLeader(ctx, b, func(c *gozk.Conn) (string, error) { return c.Sync("/") })
			cancel()
		}
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

// heard records that a write or sync sent at sent was answered in session
// sid: the leader held the session after sent.
func (b *Backend) heard(sid int64, sent time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sid != 0 && b.mu.sess.id == sid && sent.After(b.mu.sess.heard) {
		b.mu.sess.heard = sent
	}
}

// fenceOf is the fence of session sid: heard + timeout − margin while sid
// is the current session. Once it has ended, it is the fence it had then, or
// the instant its end was learnt if that is earlier (endLocked); for a
// session this Backend knows nothing of, the zero time. Either way it is in
// the past for an ended session, so that a check "now before the fence",
// with now read first, fails.
func (b *Backend) fenceOf(sid int64) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sid != 0 && b.mu.sess.id == sid {
		return b.deadlineLocked(sid)
	}
	return b.mu.ended[sid] // the zero time when unknown
}

func (b *Backend) deadlineLocked(sid int64) time.Time {
	s := b.mu.sess
	margin := b.cfg.Margin
	if margin == 0 {
		margin = s.timeout / 6
	}
	return s.heard.Add(s.timeout - margin)
}

// earlier returns the earlier of two instants.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
