package zkcoord

import (
	"fmt"
	"time"

	gozk "github.com/go-zookeeper/zk"
)

// A holder learns that its claim znode, workers/<wid>, was deleted (an
// operator's revoke) from its own writes of W: each one checks the znode in
// the same multi (see writeW), and a node that issues IDs raises W every
// second. watchClaim is the backstop for a lease whose W is not being
// written: it looks at the znode once per session timeout, and not at all
// while writes of W have looked since its last turn. It polls rather than
// sets a ZooKeeper watch: go-zookeeper v1.0.4 races on its last zxid when it
// re-sends watches after a reconnect (its PR #35), and a holder must survive
// reconnects.
//
// Neither keeps IDs unique: the version compare-and-swap on W does, since a
// new holder's claim rewrites W. They make a revoked holder stop before its
// next compare fails.

// claimSeen records that a write of W sent at sent found workers/<wid> in
// place.
func (l *lease) claimSeen(sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sent.After(l.mu.claimSeen) {
		l.mu.claimSeen = sent
	}
}

// claimSeenAfter reports whether a write of W sent after t found
// workers/<wid> in place.
func (l *lease) claimSeenAfter(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.claimSeen.After(t)
}

// backstopPeriod is how often watchClaim looks: the negotiated session
// timeout.
func (l *lease) backstopPeriod() time.Duration {
	if s := l.b.currentSession(); s.timeout > 0 {
		return s.timeout
	}
	return l.b.cfg.SessionTimeout
}

// watchClaim loses the lease once workers/<wid> is deleted or owned by
// another session, looking only when no write of W has looked since its
// last turn.
func (l *lease) watchClaim() {
	last := time.Now()
	t := time.NewTimer(l.backstopPeriod())
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-l.done:
			return
		}
		now := time.Now()
		t.Reset(l.backstopPeriod())
		if l.claimSeenAfter(last) {
			last = now
			continue
		}
		last = now
		type got struct {
			ok    bool
			owner int64
		}
		g, err := callOn(l.b, func(c *gozk.Conn) (got, error) {
			ok, st, err := c.Exists(l.workerPath)
			g := got{ok: ok}
			if ok {
				g.owner = st.EphemeralOwner
			}
			return g, err
		})
		select {
		case <-l.done:
			return
		default:
		}
		switch {
		case err != nil: // unreachable for now; Close loses every lease first
		case !g.ok:
			l.fence(fmt.Sprintf("%s was deleted", l.workerPath))
			return
		case g.owner != l.sid:
			l.fence(fmt.Sprintf("%s is owned by ZooKeeper session %s now", l.workerPath, sessionHex(g.owner)))
			return
		}
	}
}
