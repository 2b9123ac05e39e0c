package zkcoord_test

// The tests in nodefence_test.go and nodeleaf_test.go run the root package's
// Node on this backend, each beside its backend-level twin (TestServerCrash,
// TestSessionExpiry, TestLeafTree): what the session fence and Leaf's tree
// mean to a node that draws IDs. An external test package, since the root
// package imports coord.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord/coordtest"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/snowflake"
)

// zkSession is the session timeout every node asks for. The servers of
// these tests grant it: their MinSessionTimeout is at most 2s.
const zkSession = 2 * time.Second

// zkNode describes one node on the ZooKeeper backend.
type zkNode struct {
	addr     string // ZooKeeper host:port, possibly a fault proxy
	cluster  string
	name     string
	mode     zkcoord.Mode
	identity string // the ip:port in the forever tree; empty means the node name
	leafName string // empty means the cluster
	layout   snowflake.Layout
	clock    *clockguard.ManualClock // nil: the system clocks
}

// startZKNode starts a node on its own ZooKeeper session. A started node is
// closed when the test ends.
func startZKNode(t *testing.T, o zkNode) (*idcoord.Node, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log := coordtest.Logger(t, zap.InfoLevel).Named(o.name)
	b, err := zkcoord.New(ctx, zkcoord.Config{Servers: []string{o.addr}, Cluster: o.cluster, Mode: o.mode,
		SessionTimeout: zkSession, ConnectTimeout: 5 * time.Second, LeafName: o.leafName, Identity: o.identity,
		Logger: log})
	if err != nil {
		return nil, err
	}
	cfg := idcoord.Config{Backend: b, Node: o.name, Admin: "127.0.0.1:1", Layout: o.layout, Logger: log,
		StartTimeout: 5 * time.Second}
	if o.clock != nil {
		origin := o.clock.Now()
		cfg.Clock, cfg.Monotonic = o.clock, func() time.Duration { return o.clock.Now().Sub(origin) }
	}
	n, err := idcoord.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, nil
}

func mustStartZK(t *testing.T, o zkNode) *idcoord.Node {
	t.Helper()
	n, err := startZKNode(t, o)
	if err != nil {
		t.Fatalf("start %s: %v", o.name, err)
	}
	return n
}

// clusterOf names a test's cluster after the test.
func clusterOf(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "_") }

// noLeaks fails the test if it leaves goroutines behind once its cleanups
// have run. Call it first, so that its check runs last.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		// A closed client's goroutines end soon, not at once: on a busy
		// machine give them seconds, where goleak alone waits about half
		// of one. A goroutine that never ends still fails the test.
		for end := time.Now().Add(10 * time.Second); goleak.Find(opt) != nil && time.Now().Before(end); {
			time.Sleep(50 * time.Millisecond)
		}
		goleak.VerifyNone(t, opt)
	})
}

// batch is one successful draw: when it was asked for, and the IDs it got.
type batch struct {
	asked time.Time
	ids   []int64
}

// zkDrawer draws batches of IDs from one node in a loop until halted, and
// keeps every batch it got.
type zkDrawer struct {
	name    string
	done    chan struct{}
	wg      sync.WaitGroup
	halting sync.Once

	mu struct {
		sync.Mutex
		batches  []batch
		failures int
		odd      []error // failures that do not wrap idcoord.ErrNotReady
	}
}

// drawFrom starts drawing from n; the drawer halts before n is closed.
func drawFrom(t *testing.T, name string, n *idcoord.Node) *zkDrawer {
	d := &zkDrawer{name: name, done: make(chan struct{})}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			asked := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			ids, err := n.NextIDs(ctx, 16)
			cancel()
			pause := time.Millisecond
			d.mu.Lock()
			if err == nil {
				d.mu.batches = append(d.mu.batches, batch{asked, ids})
			} else {
				d.mu.failures++
				if !errors.Is(err, idcoord.ErrNotReady) {
					d.mu.odd = append(d.mu.odd, err)
				}
				pause = 5 * time.Millisecond
			}
			d.mu.Unlock()
			select {
			case <-d.done:
				return
			case <-time.After(pause):
			}
		}
	}()
	t.Cleanup(func() { d.halt() })
	return d
}

// counts returns how many batches succeeded and how many draws failed.
func (d *zkDrawer) counts() (ok, failed int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.mu.batches), d.mu.failures
}

// since returns the batches asked for at or after t.
func (d *zkDrawer) since(t time.Time) []batch {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []batch
	for _, b := range d.mu.batches {
		if !b.asked.Before(t) {
			out = append(out, b)
		}
	}
	return out
}

// halt stops drawing and returns every batch drawn.
func (d *zkDrawer) halt() []batch {
	d.halting.Do(func() { close(d.done) })
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.batches
}

// checkIssued halts the drawers and fails the test on an ID drawn twice, an
// ID that is not above the one its node issued before, or a draw that
// failed other than with ErrNotReady. It returns the number of IDs.
func checkIssued(t *testing.T, drawers ...*zkDrawer) int {
	t.Helper()
	seen := map[int64]string{}
	var dups []string
	for _, d := range drawers {
		last := int64(-1)
		for _, b := range d.halt() {
			for _, id := range b.ids {
				if other, ok := seen[id]; ok {
					dups = append(dups, fmt.Sprintf("%d from %s and %s", id, other, d.name))
				}
				seen[id] = d.name
				if id <= last {
					t.Fatalf("%s issued %d after %d", d.name, id, last)
				}
				last = id
			}
		}
		d.mu.Lock()
		odd := d.mu.odd
		d.mu.Unlock()
		if len(odd) > 0 {
			t.Fatalf("%s: %d draws failed with errors that are not ErrNotReady, first: %v", d.name, len(odd), odd[0])
		}
	}
	if len(dups) > 0 {
		t.Fatalf("%d duplicate IDs, first: %v", len(dups), dups[:min(5, len(dups))])
	}
	return len(seen)
}
