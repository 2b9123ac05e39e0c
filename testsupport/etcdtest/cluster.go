package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// statusTimeout bounds one member's answer to Leader's status request, so a
// paused member does not hold up the search.
const statusTimeout = 2 * time.Second

// Cluster is an etcd cluster of binary members on loopback, each with its own
// data folder and ports. It is safe for concurrent use.
type Cluster struct {
	members []*Server
}

// StartCluster starts an n-member cluster of the etcd binary in tb.TempDir(),
// waits until every member is healthy, and stops them through tb.Cleanup.
// n must be at least 1.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("etcdtest: a cluster needs at least 1 member, got %d", n)
	}
	return &Cluster{members: startMembers(tb, "m", n)}
}

// Members returns the members in order, m1 first. Each can be stopped,
// killed, paused and restarted on its own.
func (c *Cluster) Members() []*Server {
	return append([]*Server(nil), c.members...)
}

// Endpoints returns every member's client endpoint, "127.0.0.1:P", in member
// order.
func (c *Cluster) Endpoints() []string { return endpointsOf(c.members) }

// Restart restarts the given members together (every member if none is
// given), with their data folders and ports, and waits until all are healthy.
// Starting them together lets a cluster that lost its quorum get it back.
func (c *Cluster) Restart(tb testing.TB, members ...*Server) {
	tb.Helper()
	if len(members) == 0 {
		members = c.members
	}
	start := time.Now()
	for _, m := range members {
		if err := m.relaunch(); err != nil {
			tb.Fatalf("etcdtest: restart %s: %v", m.name, err)
		}
	}
	if err := waitAll(tb, members); err != nil {
		tb.Fatalf("etcdtest: restart: %v", err)
	}
	tb.Logf("etcdtest: restarted %d member(s) healthy in %v", len(members), time.Since(start).Round(time.Millisecond))
}

// Whole returns the cluster as one store that testproc.Backup and Restore
// stop, copy and start together: a restored cluster keeps its cluster ID.
func (c *Cluster) Whole() testproc.Restorable { return wholeCluster{c} }

type wholeCluster struct{ c *Cluster }

func (w wholeCluster) Stop() {
	for _, m := range w.c.members {
		m.Stop()
	}
}

func (w wholeCluster) Restart(tb testing.TB) { w.c.Restart(tb) }

func (w wholeCluster) DataDirs() []string {
	dirs := make([]string, len(w.c.members))
	for i, m := range w.c.members {
		dirs[i] = m.DataDir()
	}
	return dirs
}

// Leader asks every member for its status and returns the member that the
// answering members name as leader most often, provided it answered too.
// Stopped and paused members are skipped. It fails with ErrNoLeader,
// wrapping each member's error, when there is none.
func (c *Cluster) Leader(ctx context.Context) (*Server, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   c.Endpoints(),
		DialTimeout: statusTimeout,
		Context:     ctx,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcdtest: client for %v: %w", c.Endpoints(), err)
	}
	defer cli.Close()

	byID := make(map[uint64]*Server)
	votes := make(map[uint64]int)
	var errs []error
	for _, m := range c.members {
		if !m.Running() {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, ErrNotRunning))
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, statusTimeout)
		st, err := cli.Status(sctx, m.ClientAddr())
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
			continue
		}
		byID[st.Header.MemberId] = m
		if st.Leader != 0 {
			votes[st.Leader]++
		}
	}
	var leader *Server
	best := 0
	for id, n := range votes {
		if m, ok := byID[id]; ok && n > best {
			leader, best = m, n
		}
	}
	if leader == nil {
		if len(errs) == 0 {
			return nil, fmt.Errorf("%w: %d members answered, none names a leader that answered", ErrNoLeader, len(c.members))
		}
		return nil, fmt.Errorf("%w among %d members: %w", ErrNoLeader, len(c.members), errors.Join(errs...))
	}
	return leader, nil
}
