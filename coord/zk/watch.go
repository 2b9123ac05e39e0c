package zkcoord

import (
	"fmt"
	"time"

	gozk "github.com/go-zookeeper/zk"
)

// claimPoll is how often a holder looks at its claim znode. It polls rather
// than sets a ZooKeeper watch: go-zookeeper v1.0.4 races on its last zxid
// when it re-sends watches after a reconnect (its PR #35), and a holder must
// survive reconnects. Four reads a second per node are cheap, and a revoke
// is still seen well within a second.
const claimPoll = 250 * time.Millisecond

// watchClaim loses the lease as soon as workers/<wid> is deleted or owned by
// another session: an operator's revoke, or a znode removed by hand. The
// version compare-and-swap on W is what keeps IDs unique; this only makes
// the holder stop at once instead of at its next Reserve.
func (l *lease) watchClaim() {
	tick := time.NewTicker(claimPoll)
	defer tick.Stop()
	for {
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
		select {
		case <-tick.C:
		case <-l.done:
			return
		}
	}
}
