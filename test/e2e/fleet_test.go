package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/faultproxy"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// Fleet shape: five nodes compete for the three WorkerIds two worker bits
// leave once WorkerId 0 is reserved, so two nodes always wait and
// WorkerIds change hands after every fault.
const (
	fleetSize   = 5
	workerBits  = "2"
	fleetTTL    = 3 * time.Second
	readyNeeded = 3
	// zkSession is the session timeout ZooKeeper fleets ask for, and
	// zkTick the server's tick, short enough to grant it and to expire
	// sessions close to their timeout.
	zkSession = 3 * time.Second
	zkTick    = 500 * time.Millisecond
)

// fleetOptions shapes one scenario's environment.
type fleetOptions struct {
	// Proxied nodes reach every etcd member through a faultproxy of their
	// own, one per member.
	Proxied []int
	// Load is the load clients' pace.
	Load loadOptions
	// Seed seeds the proxies' randomness and the load's batch sizes.
	Seed int64
	// Scale stretches the steady load phases (not the faults); 0 means 1.
	Scale float64
	// Solo maps a node to the one etcd member (by index) it talks to.
	Solo map[int]int
	// Netns runs node 0 in a network namespace of its own; it reaches
	// every etcd member through a forwarder on the host end of its veth.
	Netns bool
	// LeadFirst starts node 0 alone and waits until it serves before the
	// others start, so that it holds a WorkerId when the fault comes.
	LeadFirst bool
	// Firewall checks that iptables works before anything starts.
	Firewall bool
	// ZK runs the nodes against one ZooKeeper server (ephemeral mode,
	// zkSession) instead of the etcd cluster.
	ZK bool
	// ZKMode is the nodes' --zk.mode; "" means ephemeral.
	ZKMode string
	// ZKEnsemble, with ZK, runs a three-member ensemble instead of one
	// server; node 0 talks to one follower only, the others to every
	// member.
	ZKEnsemble bool
	// Backup copies the store's data folders once it serves, before any
	// node starts, so that a scenario can put the store back to that past.
	Backup bool
	// Segments creates segmentTags in the store before any node starts
	// and runs segment load on every node beside the Snowflake load, at
	// SegLoad's pace.
	Segments bool
	SegLoad  segLoadOptions
}

// fleet is one scenario's environment: a 3-member etcd cluster, five
// supervised `idcoord serve` nodes, a load client and a status sampler on
// each, and the event timeline the checker and the report read. All times
// are offsets from start on the monotonic clock.
type fleet struct {
	t       *testing.T
	start   time.Time
	logDir  string
	etcd    *etcdtest.Cluster // nil with ZK
	zk      *zktest.Server    // with ZK, unless ZKEnsemble
	zkens   *zktest.Ensemble  // with ZKEnsemble
	zkHome  *zktest.Server    // with ZKEnsemble: the follower node 0 talks to
	backup  string            // with Backup: the copies of the store's data folders
	nodes   []*fleetNode
	proxies map[int][]*faultproxy.Proxy
	ns      *netns       // with Netns
	fwds    []*forwarder // with Netns: one per etcd member, on ns.hostAddr
	rules   *ruleSet     // with Firewall
	loads   []*loadLog
	samples []*sampleLog
	chaos   *chaosLog
	scale   float64
	// storeArgs are the flags that reach the whole store, for the CLI.
	storeArgs []string
	// With Segments: the tags, and each node's segment load logs, one per
	// connection slot.
	segTags []string
	segLogs [][]*segLog

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// The load clients stop first (finish), so that the samplers take a
	// status sample after every answer the checker reads.
	loadCtx    context.Context
	loadCancel context.CancelFunc
	loadWG     sync.WaitGroup

	mu struct {
		sync.Mutex
		events  []event
		notes   []string
		outages []outage
	}
}

// event is a fault or a heal on the timeline.
type event struct {
	At      time.Duration
	Kind    string // "fault", "heal" or "mark"
	What    string
	Targets []int
}

// since is the monotonic time since the fleet started.
func (f *fleet) since() time.Duration { return time.Since(f.start) }

// logf notes something for the report and the test log.
func (f *fleet) logf(format string, args ...any) {
	msg := fmt.Sprintf("%8.3fs ", f.since().Seconds()) + fmt.Sprintf(format, args...)
	f.mu.Lock()
	f.mu.notes = append(f.mu.notes, msg)
	f.mu.Unlock()
}

// mark records an event now.
func (f *fleet) mark(kind, what string, targets ...int) {
	f.mu.Lock()
	f.mu.events = append(f.mu.events, event{At: f.since(), Kind: kind, What: what, Targets: targets})
	f.mu.Unlock()
	f.logf("%s: %s %v", kind, what, targets)
}

func (f *fleet) events() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]event(nil), f.mu.events...)
}

// startFleet starts the etcd cluster and the nodes, with a load client and
// a sampler on each, and waits until three nodes serve.
func startFleet(t *testing.T, opts fleetOptions) *fleet {
	t.Helper()
	logDir, err := os.MkdirTemp("", "idcoord-e2e-"+strings.ReplaceAll(t.Name(), "/", "-")+"-")
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, start: time.Now(), logDir: logDir, proxies: map[int][]*faultproxy.Proxy{}, scale: opts.Scale}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.loadCtx, f.loadCancel = context.WithCancel(f.ctx)
	f.chaos = &chaosLog{}
	requireNetworkTools(t, opts)
	if opts.Firewall {
		f.rules = newRuleSet(t)
	}
	zkOpts := zktest.Options{TickTime: zkTick, MinSessionTimeout: 2 * zkTick, MaxSessionTimeout: 4 * zkSession}
	switch {
	case opts.ZKEnsemble:
		f.zkens = zktest.StartEnsemble(t, 3, zkOpts)
		_, followers, err := f.zkens.Leader(testproc.Context(t))
		if err != nil {
			t.Fatal(err)
		}
		f.zkHome = followers[0]
	case opts.ZK:
		f.zk = zktest.StartWith(t, zkOpts)
	default:
		f.etcd = etcdtest.StartCluster(t, 3)
	}
	if opts.Backup {
		f.backup = testproc.Backup(t, f.store())
	}
	if opts.Netns {
		f.ns = newNetns(t)
		for _, addr := range f.storeAddrs() {
			f.fwds = append(f.fwds, newForwarder(t, f.ns.hostAddr, addr))
		}
	}
	cluster := fmt.Sprintf("e2e%d", time.Now().UnixNano()%1e6)
	f.storeArgs = coordArgs(opts, f.storeAddrs(), cluster)
	if opts.Segments {
		f.createSegmentTags()
	}
	for i := range fleetSize {
		addrs := f.storeAddrs()
		var place nodePlace
		if m, ok := opts.Solo[i]; ok {
			addrs = addrs[m : m+1]
		}
		if f.zkHome != nil && i == 0 {
			addrs = []string{f.zkHome.Addr()}
		}
		if opts.Netns && i == 0 {
			addrs = nil
			for _, fw := range f.fwds {
				addrs = append(addrs, fw.Addr())
			}
			place.ns = f.ns
		}
		if contains(opts.Proxied, i) {
			addrs = nil
			for j, addr := range f.storeAddrs() {
				p := faultproxy.NewWith(t, addr, faultproxy.Options{Seed: opts.Seed*100 + int64(i*10+j)})
				f.proxies[i] = append(f.proxies[i], p)
				addrs = append(addrs, p.Addr())
			}
		}
		args := coordArgs(opts, addrs, cluster)
		if !opts.ZK {
			args = append(args, "--lease.ttl", fleetTTL.String())
		}
		args = append(args, "--layout.worker-bits", workerBits, "--clock.max-drift", "1s")
		if opts.Segments {
			args = append(args, "--segment.max-step", fmt.Sprint(segmentMaxStep))
		}
		f.nodes = append(f.nodes, newFleetNode(f, fmt.Sprintf("node-%d", i), args, place))
	}
	t.Cleanup(f.stop)
	for i, n := range f.nodes {
		n.mu.Lock()
		err := n.launchLocked()
		n.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		f.wg.Add(1)
		go func() { defer f.wg.Done(); n.supervise(f.ctx) }()
		if i == 0 && opts.LeadFirst {
			n.waitReady(t, 30*time.Second)
		}
	}
	for i, n := range f.nodes {
		s := &sampleLog{}
		f.samples = append(f.samples, s)
		l := &loadLog{}
		f.loads = append(f.loads, l)
		f.wg.Add(1)
		f.loadWG.Add(1)
		go func() { defer f.wg.Done(); sample(f.ctx, f, n, s) }()
		go func() { defer f.loadWG.Done(); runLoad(f.loadCtx, f, n, l, opts.Load, opts.Seed*10+int64(i)) }()
		if opts.Segments {
			f.startSegmentLoad(i, n, opts)
		}
	}
	f.waitServing(readyNeeded, 60*time.Second)
	f.logf("fleet ready: %v", f.serving())
	return f
}

// coordArgs are the flags that make idcoord use the fleet's store at addrs
// under cluster.
func coordArgs(opts fleetOptions, addrs []string, cluster string) []string {
	if !opts.ZK {
		return []string{"--coord", "etcd", "--etcd.endpoints", strings.Join(addrs, ","), "--cluster", cluster}
	}
	mode := opts.ZKMode
	if mode == "" {
		mode = "ephemeral"
	}
	return []string{"--coord", "zk", "--zk.servers", strings.Join(addrs, ","), "--zk.mode", mode,
		"--zk.session-timeout", zkSession.String(), "--cluster", cluster}
}

// startSegmentLoad starts node i's segment load connections.
func (f *fleet) startSegmentLoad(i int, n *fleetNode, opts fleetOptions) {
	so := opts.SegLoad.withDefaults()
	conns := &atomic.Int64{}
	var logs []*segLog
	for k := range so.Conns {
		l := &segLog{}
		logs = append(logs, l)
		f.loadWG.Add(1)
		go func() {
			defer f.loadWG.Done()
			runSegLoad(f.loadCtx, f, n, l, conns, so, opts.Seed*1000+int64(i*10+k))
		}()
	}
	f.segLogs = append(f.segLogs, logs)
}

// storeAddrs returns the client addresses of the store's servers.
func (f *fleet) storeAddrs() []string {
	switch {
	case f.etcd != nil:
		return f.etcd.Endpoints()
	case f.zkens != nil:
		return f.zkens.Addrs()
	default:
		return []string{f.zk.Addr()}
	}
}

// store returns the store as one whole that testproc.Backup and Restore
// stop, copy and start.
func (f *fleet) store() testproc.Restorable {
	switch {
	case f.etcd != nil:
		return f.etcd.Whole()
	case f.zk != nil:
		return f.zk
	default:
		f.t.Fatal("the fleet backs up an etcd cluster or one ZooKeeper server, not an ensemble")
		return nil
	}
}

// finish stops the load clients, then, once every sampler has had time
// for two more samples (so that every answer has one after it), the
// samplers and the supervisors, so that the logs can be checked; the nodes
// keep running until stop.
func (f *fleet) finish() {
	f.loadCancel()
	f.loadWG.Wait()
	f.run(2*sampleEvery + 100*time.Millisecond)
	f.cancel()
	f.wg.Wait()
}

// stop ends the load, the samplers and every node; it keeps the node logs
// when the test failed.
func (f *fleet) stop() {
	f.cancel()
	f.loadWG.Wait()
	for _, n := range f.nodes {
		n.mu.Lock()
		n.mu.auto = false
		n.mu.Unlock()
		n.kill()
	}
	f.wg.Wait()
	if f.t.Failed() {
		f.t.Logf("node logs kept in %s", f.logDir)
		return
	}
	os.RemoveAll(f.logDir)
}

// serving returns the nodes whose latest sample says ready, with their
// WorkerIds.
func (f *fleet) serving() map[int]int64 {
	out := map[int]int64{}
	for i, s := range f.samples {
		if last, ok := s.last(); ok && last.Ready && last.Incarnation == f.nodes[i].incarnation.Load() {
			out[i] = last.WorkerID
		}
	}
	return out
}

// waitServing waits until at least want nodes serve.
func (f *fleet) waitServing(want int, timeout time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for len(f.serving()) < want {
		if time.Now().After(deadline) {
			f.t.Fatalf("only %d nodes serving after %s (want %d); logs in %s", len(f.serving()), timeout, want, f.logDir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// aServingNode returns a serving node, the lowest index first.
func (f *fleet) aServingNode() (int, int64) {
	f.t.Helper()
	f.waitServing(1, 30*time.Second)
	s := f.serving()
	for i := range f.nodes {
		if w, ok := s[i]; ok {
			return i, w
		}
	}
	return -1, -1
}

// run lets the load run for d.
func (f *fleet) run(d time.Duration) {
	select {
	case <-time.After(d):
	case <-f.ctx.Done():
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
