package e2e

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/idcoord/idcoord/testsupport/etcdtest"
)

// scenario is one fault run against a fresh fleet. run injects the fault
// and heals it, marking both; post adds the scenario's own checks.
type scenario struct {
	id, name string
	opts     fleetOptions
	run      func(f *fleet, sc *scenarioState)
	post     func(f *fleet, sc *scenarioState, v *verdict)
}

// scenarioState carries what run learned to post.
type scenarioState struct {
	target           int
	wid              int64
	held             string // HeldSince of the target's holding at the fault
	faultAt, healAt  time.Duration
	quorumLost       time.Duration
	restoredAt       time.Duration
	refusals         []refusal
	notes            []string
	exitCode         int
	refusal          string
	servedIncarnated int64
}

func (sc *scenarioState) note(format string, args ...any) {
	sc.notes = append(sc.notes, fmt.Sprintf(format, args...))
}

// steady is how long a load phase lasts at this scale.
func (f *fleet) steady(d time.Duration) time.Duration {
	if f.scale <= 1 {
		return d
	}
	return time.Duration(float64(d) * f.scale)
}

// pickTarget chooses a serving node and remembers its holding.
func pickTarget(f *fleet, sc *scenarioState) *fleetNode {
	sc.target, sc.wid = f.aServingNode()
	if last, ok := f.samples[sc.target].last(); ok {
		sc.held = last.HeldSince
	}
	return f.nodes[sc.target]
}

func allProxied() []int { return []int{0, 1, 2, 3, 4} }

// scenarios is the matrix, in the order the short run goes through it.
func scenarios() []scenario {
	return []scenario{
		{id: "1", name: "kill -9 a node, restart same name", opts: fleetOptions{Segments: true}, run: runKill},
		{id: "2", name: "SIGSTOP past the lease, SIGCONT", opts: fleetOptions{Segments: true}, run: runPause, post: postPause},
		{id: "3", name: "node cut off from etcd (netns + iptables drop)", opts: fleetOptions{Netns: true, LeadFirst: true, Segments: true}, run: runNetnsCut, post: postNetCut},
		{id: "4", name: "node's etcd member isolated from its peers", opts: fleetOptions{Solo: map[int]int{0: 0}, LeadFirst: true, Firewall: true}, run: runIsolateMember, post: postNetCut},
		{id: "5", name: "kill -9 etcd leader; quorum lost; restore", opts: fleetOptions{Segments: true}, run: runQuorum, post: postQuorum},
		{id: "6", name: "clock steps -3ms -50ms -10s +1h and back", run: runClockSteps},
		{id: "7", name: "cold start, clock -20s, store down then up", run: runColdStart, post: postColdStart},
		{id: "9", name: "slow lossy link 75ms±50ms, 2% resets", opts: fleetOptions{Proxied: allProxied()}, run: runSlowLink},
		{id: "10", name: "frozen clock, >4096 requests per ms", run: runFrozen, post: postFrozen},
		{id: "11", name: "client chaos: killed clients, partial frames", run: runChaos},
		{id: "8a", name: "ZooKeeper: SIGSTOP past the session, SIGCONT", opts: fleetOptions{ZK: true}, run: runZKPause, post: postPause},
		{id: "8b", name: "ZooKeeper: kill -9 the server, restart", opts: fleetOptions{ZK: true, Segments: true}, run: runZKKill, post: postZKKill},
		{id: "12", name: "etcd restored to an empty past, holder cut off", opts: fleetOptions{Netns: true, LeadFirst: true, Backup: true}, run: runRestore, post: postRestore},
		{id: "13a", name: "ZooKeeper (ephemeral) restored, holder cut off", opts: fleetOptions{ZK: true, Netns: true, LeadFirst: true, Backup: true}, run: runRestore, post: postRestore},
		{id: "13b", name: "ZooKeeper (sequential) restored, holder cut off", opts: fleetOptions{ZK: true, ZKMode: "sequential", Netns: true, LeadFirst: true, Backup: true}, run: runRestore, post: postRestore},
		{id: "14", name: "ZooKeeper ensemble: holder's follower cut off", opts: fleetOptions{ZK: true, ZKEnsemble: true, LeadFirst: true, Firewall: true}, run: runZKFollowerCut, post: postNetCut},
		{id: "15", name: "rolling layout change: seq bits, then epoch", run: runLayoutChange, post: postLayoutChange},
	}
}

func runKill(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(2 * time.Second))
	f.mark("fault", fmt.Sprintf("kill -9 %s (WorkerId %d)", n.name, sc.wid), sc.target)
	n.down(syscall.SIGKILL)
	f.run(time.Second)
	if err := n.up(true); err != nil {
		f.t.Fatal(err)
	}
	f.mark("heal", "restarted "+n.name, sc.target)
	f.run(f.steady(5 * time.Second))
}

func runPause(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	n.signal(syscall.SIGSTOP)
	sc.faultAt = f.since()
	f.mark("fault", fmt.Sprintf("SIGSTOP %s (WorkerId %d) for TTL+2s", n.name, sc.wid), sc.target)
	f.run(fleetTTL + 2*time.Second)
	sc.healAt = f.since()
	n.signal(syscall.SIGCONT)
	f.mark("heal", "SIGCONT "+n.name, sc.target)
	f.run(f.steady(4 * time.Second))
}

// postPause checks that nothing the paused node issued after it woke came
// from the holding it had when it was stopped.
func postPause(f *fleet, sc *scenarioState, v *verdict) {
	inflight, after := checkOldHolding(f, sc, v, sc.healAt, sc.faultAt+fenceSlack, "after SIGCONT")
	unavailable := 0
	for _, e := range f.loads[sc.target].errs {
		if e.At >= sc.healAt && e.Code == "UNAVAILABLE" {
			unavailable++
		}
	}
	taken := "nobody"
	for i, s := range f.samples {
		if i == sc.target {
			continue
		}
		for _, x := range s.s {
			if x.At > sc.faultAt && x.At < sc.healAt && x.WorkerID == sc.wid {
				taken = f.nodes[i].name
				break
			}
		}
	}
	v.Notes = append(v.Notes, fmt.Sprintf("WorkerId %d taken over during the pause by %s; after SIGCONT: %d IDs issued before the pause delivered, %d IDs issued after waking (none under the old holding), %d UNAVAILABLE",
		sc.wid, taken, inflight, after, unavailable))
}

// checkOldHolding flags every ID the target issued after the time past,
// and received from the time from on, under the holding it had at the
// fault (sc.held). It returns how many IDs received from then on were
// issued before past (in flight) and after it.
func checkOldHolding(f *fleet, sc *scenarioState, v *verdict, from, past time.Duration, when string) (inflight, after int) {
	lay, _ := f.layoutOf()
	n := f.nodes[sc.target]
	l := f.loads[sc.target]
	for _, b := range l.batches {
		if b.At < from {
			continue
		}
		ids := l.ids[b.First : b.First+b.N]
		served := f.servedAt(n, lay, slices.Max(ids), b.At)
		if served < past {
			inflight += b.N
			continue
		}
		after += b.N
		if lay.worker(ids[0]) != sc.wid {
			continue
		}
		// The first sample computed after the ID tells its holding; at the
		// end of the run, when no sample followed, the last one before it
		// does if it already shows another holding.
		before, s := f.samples[sc.target].around(b.Inc, served)
		if s == nil && before != nil && before.HeldSince != sc.held {
			s = before
		}
		if s == nil || s.HeldSince == sc.held {
			v.Scenario++
			v.evidence("%s issued ID %d (WorkerId %d) at %s %s under the holding it had at the fault (held since %s)",
				n.name, ids[0], sc.wid, served, when, sc.held)
		}
	}
	return inflight, after
}

func runQuorum(f *fleet, sc *scenarioState) {
	f.run(f.steady(1500 * time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	leader, err := f.etcd.Leader(ctx)
	cancel()
	if err != nil {
		f.t.Fatal(err)
	}
	f.mark("mark", "kill -9 etcd leader "+leader.Name())
	leader.Kill()
	f.run(3 * time.Second)
	leader.Restart(f.t)
	f.mark("mark", "etcd leader restarted")
	f.run(2 * time.Second)
	var stopped []*etcdtest.Server
	for _, m := range f.etcd.Members()[:2] {
		m.Stop()
		stopped = append(stopped, m)
	}
	sc.quorumLost = f.since()
	f.mark("fault", "2 of 3 etcd members stopped: quorum lost")
	f.run(fleetTTL + 3*time.Second)
	// The quorum may be back as soon as the members run again, well before
	// Restart sees them all healthy: the no-quorum window ends here.
	sc.healAt = f.since()
	f.storeOutage("quorum lost", sc.quorumLost, sc.healAt)
	f.etcd.Restart(f.t, stopped...)
	f.mark("heal", "quorum restored")
	f.run(f.steady(5 * time.Second))
}

// postQuorum checks that no node issued an ID once every lease it could
// hold must have run out: quorum loss + TTL + an election timeout for the
// old leader to step down, plus margin.
func postQuorum(f *fleet, sc *scenarioState, v *verdict) {
	lay, _ := f.layoutOf()
	bound := sc.quorumLost + fleetTTL + 2*time.Second
	last := time.Duration(-1)
	for i, l := range f.loads {
		for _, b := range l.batches {
			ids := l.ids[b.First : b.First+b.N]
			served := f.servedAt(f.nodes[i], lay, slices.Max(ids), b.At)
			if served > sc.quorumLost && served < sc.healAt {
				last = max(last, served)
			}
			if served > bound && served < sc.healAt {
				v.Scenario++
				v.evidence("%s issued ID %d at %s without a quorum (lost at %s, healed at %s)", f.nodes[i].name, ids[0], served, sc.quorumLost, sc.healAt)
			}
		}
	}
	if last >= 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("last ID issued %.2fs after quorum loss", (last-sc.quorumLost).Seconds()))
	} else {
		v.Notes = append(v.Notes, "no ID issued after quorum loss")
	}
}

func runClockSteps(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	steps := []struct {
		offset string
		hold   time.Duration
		what   string
	}{
		{"-3ms", 2 * time.Second, "step -3ms"},
		{"-53ms", 2 * time.Second, "step -50ms"},
		{"-10.053s", 4 * time.Second, "step -10s"},
		{"0s", 3 * time.Second, "step back to true time (+10.053s)"},
		{"1h", 3 * time.Second, "step +1h"},
		{"0s", 5 * time.Second, "step back -1h to true time"},
	}
	for i, s := range steps {
		kind := "mark"
		switch {
		case i == 0:
			kind = "fault"
		case i == len(steps)-1:
			kind = "heal"
		}
		f.mark(kind, fmt.Sprintf("%s on %s (offset %s)", s.what, n.name, s.offset), sc.target)
		if err := n.setClock("offset=" + s.offset); err != nil {
			f.logf("faultclock %s: %v", s.offset, err)
		}
		f.run(s.hold)
	}
}

func runColdStart(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	n.down(syscall.SIGTERM)
	for _, m := range f.etcd.Members() {
		m.Stop()
	}
	f.mark("fault", "store down; "+n.name+" started cold with its clock 20s behind", sc.target)
	if err := n.up(false, "IDCOORD_FAULTCLOCK_OFFSET=-20s"); err != nil {
		f.t.Fatal(err)
	}
	sc.servedIncarnated = n.incarnation.Load()
	f.run(3 * time.Second)
	f.etcd.Restart(f.t)
	f.mark("heal", "store up again", sc.target)
	select {
	case <-n.exitedCh():
	case <-time.After(45 * time.Second):
		sc.note("%s still running 45s after the store came back", n.name)
	}
	sc.exitCode = -1
	if e, ok := n.exitOf(sc.servedIncarnated, 5*time.Second); ok {
		sc.exitCode, sc.refusal = e.Code, e.LastLine
	}
	if err := n.up(true); err != nil { // back to a true clock, as a fixed NTP would be
		f.t.Fatal(err)
	}
	f.run(f.steady(3 * time.Second))
}

func postColdStart(f *fleet, sc *scenarioState, v *verdict) {
	if sc.exitCode <= 0 {
		v.Scenario++
		v.evidence("%s with a clock 20s behind its history did not refuse to start: exit %d", f.nodes[sc.target].name, sc.exitCode)
	}
	for _, b := range f.loads[sc.target].batches {
		if b.Inc == sc.servedIncarnated {
			v.Scenario++
			v.evidence("%s served %d IDs at %s with its clock 20s behind", f.nodes[sc.target].name, b.N, b.At)
		}
	}
	v.Notes = append(v.Notes, fmt.Sprintf("cold start refused: exit %d: %s", sc.exitCode, sc.refusal))
	v.Notes = append(v.Notes, sc.notes...)
}

func runSlowLink(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	f.mark("fault", fmt.Sprintf("etcd links of %s: delay 75ms±50ms, 2%% resets per chunk", n.name), sc.target)
	for _, p := range f.proxies[sc.target] {
		p.SetDelay(75*time.Millisecond, 50*time.Millisecond)
		p.SetDropRate(0.02)
	}
	f.run(f.steady(8 * time.Second))
	var dropped int
	for _, p := range f.proxies[sc.target] {
		p.SetDelay(0, 0)
		p.SetDropRate(0)
		dropped += p.Stats().Dropped
	}
	f.mark("heal", fmt.Sprintf("links of %s clean again (%d connections reset)", n.name, dropped), sc.target)
	f.run(f.steady(3 * time.Second))
}
