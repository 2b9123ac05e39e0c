package idcoord_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/coordtest"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/zktest"
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
	clock    clockguard.WallClock
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
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: o.name, Admin: "127.0.0.1:1", Layout: o.layout,
		Clock: o.clock, Monotonic: manualMonotonic(o.clock), Logger: log, StartTimeout: 5 * time.Second})
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

// noLeaks fails the test if it leaves goroutines behind once its cleanups
// have run. Call it first, so that its check runs last.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// within polls cond every 20ms until it holds, and fails the test after d.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
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

// TestZKServerCrash kills ZooKeeper with SIGKILL under three nodes that draw
// IDs: past their fence they are not ready and issue nothing; after a
// restart they recover by themselves. No ID repeats, each node's IDs
// increase, and in sequential mode identities keep their WorkerIds and a new
// identity gets a higher sequence number.
func TestZKServerCrash(t *testing.T) {
	for _, mode := range []zkcoord.Mode{zkcoord.ModeEphemeral, zkcoord.ModeSequential} {
		t.Run(string(mode), func(t *testing.T) {
			noLeaks(t)
			srv := zktest.StartWith(t, zktest.Options{TickTime: 200 * time.Millisecond})
			base := zkNode{addr: srv.Addr(), cluster: clusterOf(t), mode: mode}
			names := []string{"crash-a", "crash-b", "crash-c"}
			nodes := make([]*idcoord.Node, len(names))
			drawers := make([]*zkDrawer, len(names))
			before := make([]int64, len(names))
			for i, name := range names {
				o := base
				o.name = name
				nodes[i] = mustStartZK(t, o)
				before[i] = nodes[i].Status().WorkerID
				drawers[i] = drawFrom(t, name, nodes[i])
			}
			eachDrawer := func(cond func(i, ok, failed int) bool) func() bool {
				return func() bool {
					for i, d := range drawers {
						if ok, failed := d.counts(); !cond(i, ok, failed) {
							return false
						}
					}
					return true
				}
			}
			within(t, 10*time.Second, "every node draws IDs", eachDrawer(func(_, ok, _ int) bool { return ok >= 20 }))

			srv.Kill()
			killed := time.Now()
			within(t, 3*zkSession, "every node not ready once ZooKeeper is dead", func() bool {
				for _, n := range nodes {
					if n.Ready() == nil {
						return false
					}
				}
				return true
			})
			t.Logf("killed at 0; every node not ready at %v", time.Since(killed).Round(time.Millisecond))
			for i, n := range nodes {
				_, err := n.NextID(context.Background())
				if !errors.Is(err, idcoord.ErrNotReady) {
					t.Fatalf("%s: NextID while ZooKeeper is down = %v, want ErrNotReady", names[i], err)
				}
				if i == 0 {
					t.Logf("%s while ZooKeeper is down: %v", names[i], err)
				}
			}
			// Nothing is issued while the server stays down.
			served := make([]int, len(drawers))
			failedBefore := make([]int, len(drawers))
			for i, d := range drawers {
				served[i], failedBefore[i] = d.counts()
			}
			within(t, 5*time.Second, "every node keeps refusing", eachDrawer(func(i, _, failed int) bool { return failed >= failedBefore[i]+20 }))
			for i, d := range drawers {
				if ok, _ := d.counts(); ok != served[i] {
					t.Fatalf("%s issued %d batches after it went not ready, while ZooKeeper was down", names[i], ok-served[i])
				}
			}

			srv.Restart(t)
			restarted := time.Now()
			within(t, 15*time.Second, "every node ready again by itself", func() bool {
				for _, n := range nodes {
					if n.Ready() != nil {
						return false
					}
				}
				return true
			})
			t.Logf("down for %v; every node ready %v after the restart",
				restarted.Sub(killed).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
			within(t, 5*time.Second, "every node draws again", eachDrawer(func(i, ok, _ int) bool { return ok >= served[i]+20 }))

			after := make([]int64, len(nodes))
			for i, n := range nodes {
				after[i] = n.Status().WorkerID
			}
			t.Logf("WorkerIds before the crash %v, after %v", before, after)
			var extra *zkDrawer
			if mode == zkcoord.ModeSequential {
				for i := range nodes {
					if after[i] != before[i] {
						t.Fatalf("%s: WorkerId %d after the restart, want the %d bound to its identity", names[i], after[i], before[i])
					}
				}
				o := base
				o.name = "crash-new"
				n := mustStartZK(t, o)
				wid := n.Status().WorkerID
				if top := max(before[0], before[1], before[2]); wid <= top {
					t.Fatalf("a new identity after the restart got WorkerId %d, want above %d", wid, top)
				}
				t.Logf("a new identity after the restart got WorkerId %d", wid)
				extra = drawFrom(t, o.name, n)
				within(t, 5*time.Second, "the new node draws", func() bool { ok, _ := extra.counts(); return ok >= 20 })
				drawers = append(drawers, extra)
			}
			total := checkIssued(t, drawers...)
			t.Logf("%d IDs from %d nodes, 0 duplicates", total, len(drawers))
		})
	}
}

// TestZKSessionExpiry cuts one node's link to ZooKeeper past its session
// timeout, in ephemeral mode with a single WorkerId. The cut node stops at
// its fence; the server expires its session and another node takes the
// WorkerId. Once the link heals the old node stays not ready, since the
// WorkerId is taken, and serves again only after it has acquired it anew,
// above everything the other node issued.
func TestZKSessionExpiry(t *testing.T) {
	noLeaks(t)
	srv := zktest.StartWith(t, zktest.Options{TickTime: 500 * time.Millisecond, MinSessionTimeout: 2 * time.Second,
		MaxSessionTimeout: 4 * time.Second})
	proxy := faultproxy.New(t, srv.Addr())
	one := snowflake.Twitter()
	one.WorkerBits = 1 // only WorkerId 1 is usable
	base := zkNode{cluster: clusterOf(t), mode: zkcoord.ModeEphemeral, layout: one}
	ctx := context.Background()

	oldOpts := base
	oldOpts.addr, oldOpts.name = proxy.Addr(), "old"
	old := mustStartZK(t, oldOpts)
	if wid := old.Status().WorkerID; wid != 1 {
		t.Fatalf("old node holds WorkerId %d, want 1", wid)
	}
	oldDraws := drawFrom(t, "old", old)
	within(t, 5*time.Second, "the old node draws", func() bool { ok, _ := oldDraws.counts(); return ok >= 20 })

	newOpts := base
	newOpts.addr, newOpts.name = srv.Addr(), "new"
	if _, err := startZKNode(t, newOpts); !errors.Is(err, coord.ErrNoFreeWorker) {
		t.Fatalf("second node started while the only WorkerId is held: %v, want ErrNoFreeWorker", err)
	}

	proxy.Block()
	blocked := time.Now()
	within(t, 2*zkSession, "the cut node goes not ready", func() bool { return old.Ready() != nil })
	stopped := time.Now()
	t.Logf("cut at 0; old node not ready at %v: %v", stopped.Sub(blocked).Round(time.Millisecond), old.Ready())

	var next *idcoord.Node
	within(t, 15*time.Second, "another node takes WorkerId 1", func() bool {
		n, err := startZKNode(t, newOpts)
		if err != nil && !errors.Is(err, coord.ErrNoFreeWorker) {
			t.Fatalf("start the new node: %v", err)
		}
		next = n
		return err == nil
	})
	took := time.Now()
	if wid := next.Status().WorkerID; wid != 1 {
		t.Fatalf("new node holds WorkerId %d, want 1", wid)
	}
	t.Logf("new node serving WorkerId 1 at %v", took.Sub(blocked).Round(time.Millisecond))
	nextDraws := drawFrom(t, "new", next)

	proxy.Unblock()
	within(t, 4*zkSession, "the old node learns it lost WorkerId 1 and finds none free", func() bool {
		var nr *idcoord.NotReadyError
		return errors.As(old.Ready(), &nr) && nr.Reason == idcoord.ReasonNoWorkerID
	})
	if _, err := old.NextID(ctx); !errors.Is(err, idcoord.ErrNotReady) {
		t.Fatalf("old node's NextID while another holds its WorkerId = %v, want ErrNotReady", err)
	}
	t.Logf("healed at %v; old node: %v", time.Since(blocked).Round(time.Millisecond), old.Ready())
	within(t, 5*time.Second, "the new node draws", func() bool { ok, _ := nextDraws.counts(); return ok >= 20 })

	// The new node gives WorkerId 1 back; the old one takes it again.
	nextBatches := nextDraws.halt()
	closing := time.Now()
	if err := next.Close(ctx); err != nil {
		t.Fatalf("close the new node: %v", err)
	}
	within(t, 10*time.Second, "the old node serves again", func() bool { return len(oldDraws.since(closing)) > 0 })
	t.Logf("old node serving again %v after the new one closed", time.Since(closing).Round(time.Millisecond))

	if served := oldDraws.since(stopped); len(served) > 0 && served[0].asked.Before(closing) {
		t.Fatalf("old node issued %v, asked %v after it went not ready and before the new holder let go",
			served[0].ids, served[0].asked.Sub(stopped))
	}
	lastNew := nextBatches[len(nextBatches)-1].ids
	firstOld := oldDraws.since(closing)[0].ids[0]
	if p, _ := one.Decompose(firstOld); p.WorkerID != 1 || firstOld <= lastNew[len(lastNew)-1] {
		t.Fatalf("old node's first ID again %d (%+v) is not above the new holder's last %d", firstOld, p, lastNew[len(lastNew)-1])
	}
	total := checkIssued(t, oldDraws, nextDraws)
	t.Logf("%d IDs, 0 duplicates", total)
}

// TestZKLeafTree takes over a tree that Meituan Leaf wrote, whose stored
// timestamp for this node's ip:port is ahead of the node's clock: an hour
// ahead the node refuses to start and leaves the tree as it was; 2s ahead it
// waits that out and serves with the WorkerId Leaf gave the ip:port.
func TestZKLeafTree(t *testing.T) {
	noLeaks(t)
	srv := zktest.StartWith(t, zktest.Options{TickTime: 200 * time.Millisecond})
	conn := rawZK(t, srv.Addr())
	layout, err := snowflake.Preset("leaf")
	if err != nil {
		t.Fatal(err)
	}
	const identity = "10.0.0.6:8080"
	for _, tc := range []struct {
		name  string
		leaf  string
		ahead time.Duration
		ok    bool
	}{
		{"an hour ahead", "leaf-far", time.Hour, false},
		// Further ahead than the claim floor (5s): the wait is Leaf's.
		{"8s ahead", "leaf-near", 8 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := clockguard.NewManualClock(time.Now())
			clock.SetAutoAdvance(true)
			stored := clock.Now().Add(tc.ahead).UnixMilli()
			paths := createLeafTree(t, conn, tc.leaf, []leafEndpoint{
				{"10.0.0.4", "8080", stored - 60_000},
				{"10.0.0.5", "8080", stored - 30_000},
				{"10.0.0.6", "8080", stored},
			})
			mine := paths[2]
			const wid = 2 // the sequence number Leaf gave the third ip:port
			if !strings.HasSuffix(mine, fmt.Sprintf("%s-%010d", identity, wid)) {
				t.Fatalf("Leaf tree node %s, want sequence %d", mine, wid)
			}
			original, _, err := conn.Get(mine)
			if err != nil {
				t.Fatal(err)
			}
			o := zkNode{addr: srv.Addr(), cluster: clusterOf(t), name: "migrated", mode: zkcoord.ModeSequential,
				identity: identity, leafName: tc.leaf, layout: layout, clock: clock}
			started := clock.Now()
			n, err := startZKNode(t, o)
			if !tc.ok {
				if !errors.Is(err, idcoord.ErrClockBehind) {
					t.Fatalf("start %s behind Leaf's timestamp = %v, want ErrClockBehind", tc.ahead, err)
				}
				t.Logf("refusal: %v", err)
				data, _, err := conn.Get(mine)
				if err != nil {
					t.Fatal(err)
				}
				if string(data) != string(original) {
					t.Fatalf("the refused node changed %s from %s to %s", mine, original, data)
				}
				return
			}
			if err != nil {
				t.Fatalf("start %s behind Leaf's timestamp: %v", tc.ahead, err)
			}
			if waited := clock.Now().Sub(started); waited < tc.ahead {
				t.Fatalf("started after %v on its clock, before passing Leaf's timestamp %v ahead", waited, tc.ahead)
			}
			ids, err := n.NextIDs(context.Background(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{ids[0], ids[len(ids)-1]} {
				p, err := layout.Decompose(id)
				if err != nil {
					t.Fatal(err)
				}
				if p.WorkerID != wid || p.Time.UnixMilli() <= stored {
					t.Fatalf("ID %d has WorkerId %d at %v; want Leaf's %d, after the stored %v",
						id, p.WorkerID, p.Time, wid, time.UnixMilli(stored).UTC())
				}
			}
			if got := n.Status().WorkerID; got != wid {
				t.Fatalf("status WorkerId %d, want %d", got, wid)
			}
			data, _, err := conn.Get(mine)
			if err != nil {
				t.Fatal(err)
			}
			if prefix := `{"ip":"10.0.0.6","port":"8080","timestamp":`; !strings.HasPrefix(string(data), prefix) {
				t.Fatalf("%s holds %s after the takeover, not Leaf's format", mine, data)
			}
		})
	}
}

// leafEndpoint is the data Leaf's SnowflakeZookeeperHolder stores in a
// forever znode.
type leafEndpoint struct {
	ip, port  string
	timestamp int64
}

// createLeafTree writes /snowflake/<leaf>/forever as Leaf does: persistent
// parents, then one persistent-sequential <ip>:<port>- child per endpoint,
// in order, with Leaf's JSON. It returns the children's paths.
func createLeafTree(t *testing.T, conn *gozk.Conn, leaf string, endpoints []leafEndpoint) []string {
	t.Helper()
	acl := gozk.WorldACL(gozk.PermAll)
	forever := "/snowflake/" + leaf + "/forever"
	for _, p := range []string{"/snowflake", "/snowflake/" + leaf, forever} {
		if _, err := conn.Create(p, nil, gozk.FlagPersistent, acl); err != nil && !errors.Is(err, gozk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	paths := make([]string, 0, len(endpoints))
	for _, e := range endpoints {
		data := fmt.Sprintf(`{"ip":"%s","port":"%s","timestamp":%d}`, e.ip, e.port, e.timestamp)
		p, err := conn.Create(forever+"/"+e.ip+":"+e.port+"-", []byte(data), gozk.FlagSequence, acl)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// rawZK opens a plain client, as a Leaf process or an operator would.
func rawZK(t *testing.T, addr string) *gozk.Conn { return zktest.Dial(t, addr, zkSession) }
