package zkcoord

import (
	"fmt"
	"time"

	gozk "github.com/go-zookeeper/zk"
)

// watchRetry is the pause before watching again after a failed request.
const watchRetry = 200 * time.Millisecond

// watchClaim loses the lease as soon as workers/<wid> is deleted or owned by
// another session: an operator's revoke, or a znode removed by hand. The
// version compare-and-swap on W is what keeps IDs unique; the watch only
// makes the holder stop at once instead of at its next Reserve.
func (l *lease) watchClaim() {
	for {
		type got struct {
			ok    bool
			owner int64
			ch    <-chan gozk.Event
		}
		g, err := callOn(l.b, func(c *gozk.Conn) (got, error) {
			ok, st, ch, err := c.ExistsW(l.workerPath)
			g := got{ok: ok, ch: ch}
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
		case err != nil: // Close loses every lease first, so this ends
			select {
			case <-l.done:
				return
			case <-time.After(watchRetry):
				continue
			}
		case !g.ok:
			l.fence(fmt.Sprintf("%s was deleted", l.workerPath))
			return
		case g.owner != l.sid:
			l.fence(fmt.Sprintf("%s is owned by ZooKeeper session %s now", l.workerPath, sessionHex(g.owner)))
			return
		}
		select {
		case <-g.ch: // any change, or the watch was dropped: look again
		case <-l.done:
			return
		}
	}
}
