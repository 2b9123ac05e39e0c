package e2e

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// electionMargin covers an isolated etcd leader that keeps renewing leases
// until it notices it lost its quorum (one election timeout), plus margin.
const electionMargin = 2 * time.Second

// holdTarget makes node i the scenario's target; it must serve (LeadFirst
// fleets start it first).
func holdTarget(f *fleet, sc *scenarioState, i int) *fleetNode {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if w, ok := f.serving()[i]; ok {
			sc.target, sc.wid = i, w
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s does not serve; serving: %v", f.nodes[i].name, f.serving())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last, ok := f.samples[i].last(); ok {
		sc.held = last.HeldSince
	}
	return f.nodes[i]
}

// runNetnsCut drops, inside node 0's network namespace, every packet to
// the forwarders that are its only way to etcd, then deletes the rule.
func runNetnsCut(f *fleet, sc *scenarioState) {
	holdTarget(f, sc, 0)
	f.run(f.steady(1500 * time.Millisecond))
	heal := cutNetns(f, sc)
	f.run(fleetTTL + 3*time.Second)
	heal()
	f.runUntilBack(sc, f.steady(5*time.Second))
}

// cutNetns adds, inside node 0's network namespace, a rule that drops every
// packet to the forwarders that are its only way to the store, and marks
// the fault; the function it returns deletes the rule and marks the heal.
func cutNetns(f *fleet, sc *scenarioState) (heal func()) {
	n := f.nodes[0]
	ports := make([]string, len(f.fwds))
	for i, fw := range f.fwds {
		ports[i] = fw.Port()
	}
	rule := []string{"iptables", "-w", "-A", "OUTPUT", "-d", f.ns.hostAddr, "-p", "tcp", "-m", "multiport",
		"--dports", strings.Join(ports, ","), "-j", "DROP"}
	f.mark("fault", fmt.Sprintf("iptables in %s drops %s's packets to the store (%s:%s) (WorkerId %d)",
		f.ns.name, n.name, f.ns.hostAddr, strings.Join(ports, ","), sc.wid), 0)
	if err := f.ns.exec(rule...); err != nil {
		f.t.Fatal(err)
	}
	sc.faultAt = f.since()
	return func() {
		// The outage ends before the rule goes: no packet passes earlier.
		f.storeOutage("cut off", sc.faultAt, f.since(), 0)
		rule[2] = "-D"
		if err := f.ns.exec(rule...); err != nil {
			f.t.Fatal(err)
		}
		sc.healAt = f.since()
		f.mark("heal", "drop rule deleted in "+f.ns.name, 0)
	}
}

// runIsolateMember cuts etcd member m1, the only member node 0 talks to,
// off from the other members' peer ports, then removes the rules.
func runIsolateMember(f *fleet, sc *scenarioState) {
	n := holdTarget(f, sc, 0)
	members := f.etcd.Members()
	a := members[0]
	role := "a follower"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if leader, err := f.etcd.Leader(ctx); err == nil && leader.Name() == a.Name() {
		role = "the leader"
	}
	cancel()
	f.run(f.steady(1500 * time.Millisecond))
	var others []int
	for _, m := range members[1:] {
		others = append(others, peerPort(f, m.PeerURL()))
	}
	sc.note("%s was %s", a.Name(), role)
	isolateMember(f, sc, fmt.Sprintf("etcd %s (%s), the only member %s talks to, cut off from its peers", a.Name(), role, n.name),
		a.PID(), []int{peerPort(f, a.PeerURL())}, others)
}

// isolateMember cuts the store member with process pid off from the other
// members' peer ports for the lease time + 3s, then removes the rules
// (see ruleSet.isolatePeer).
func isolateMember(f *fleet, sc *scenarioState, what string, pid int, self, others []int) {
	f.mark("fault", fmt.Sprintf("%s (WorkerId %d)", what, sc.wid), sc.target)
	rules, err := f.rules.isolatePeer(pid, self, others)
	if err != nil {
		f.t.Fatal(err)
	}
	sc.faultAt = f.since()
	sc.note("%d iptables rules", rules)
	f.run(f.leaseTime() + 3*time.Second)
	if err := f.rules.Remove(); err != nil {
		f.t.Fatal(err)
	}
	sc.healAt = f.since()
	f.mark("heal", "rules removed: the member rejoins", sc.target)
	f.runUntilBack(sc, f.steady(5*time.Second))
}

// runUntilBack lets the load run for d, and on until the target's status
// shows that it works with the store again (see recovery), for at most
// 20s: a member that rejoins may take a new election, longer on a busy
// machine.
func (f *fleet) runUntilBack(sc *scenarioState, d time.Duration) {
	f.run(d)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); f.run(200 * time.Millisecond) {
		s, ok := f.samples[sc.target].last()
		if ok && s.At >= sc.healAt && (s.Ready || s.ReasonCode == "no_worker_id" || s.ReasonCode == "claim_floor") {
			return
		}
	}
}

// leaseTime is how long a holding outlives the last word from the store:
// the etcd lease TTL or the ZooKeeper session timeout.
func (f *fleet) leaseTime() time.Duration {
	if f.etcd != nil {
		return fleetTTL
	}
	return zkSession
}

// cutBound is the latest a holder cut off from the store at the fault may
// issue: every lease it could hold has run out by then at the store, plus
// an etcd election timeout (an isolated leader renews leases until it sees
// it lost its quorum) or a ZooKeeper tick (the leader expires sessions in
// tick-sized buckets), plus margin.
func (f *fleet) cutBound(faultAt time.Duration) time.Duration {
	if f.etcd != nil {
		return faultAt + fleetTTL + electionMargin
	}
	return faultAt + zkSession + zkTick + fenceSlack
}

func peerPort(f *fleet, peerURL string) int {
	u, err := url.Parse(peerURL)
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		f.t.Fatalf("peer URL %s: %v", peerURL, err)
	}
	return p
}

// postNetCut checks that the cut-off target answered UNAVAILABLE, issued
// nothing once every lease it could hold must have run out, and recovered
// after the heal: it served again, or it reached the store and learned that
// every WorkerId is held.
func postNetCut(f *fleet, sc *scenarioState, v *verdict) {
	lay, _ := f.layoutOf()
	n := f.nodes[sc.target]
	l := f.loads[sc.target]
	bound := f.cutBound(sc.faultAt)
	last := time.Duration(-1)
	for _, b := range l.batches {
		served := f.servedAt(n, lay, slices.Max(l.ids[b.First:b.First+b.N]), b.At)
		if served <= sc.faultAt || served >= sc.healAt {
			continue
		}
		last = max(last, served)
		if served > bound {
			v.Scenario++
			v.evidence("%s issued ID %d at %s while cut off since %s", n.name, l.ids[b.First], served, sc.faultAt)
		}
	}
	unavailable := 0
	for _, e := range l.errs {
		if e.Code == "UNAVAILABLE" && e.At >= sc.faultAt && e.At < sc.healAt {
			unavailable++
		}
	}
	if unavailable == 0 {
		v.Scenario++
		v.evidence("%s never answered UNAVAILABLE while cut off (%s..%s)", n.name, sc.faultAt, sc.healAt)
	}
	if last >= 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%s: last ID issued %.2fs after the cut; %d UNAVAILABLE during it", n.name, (last-sc.faultAt).Seconds(), unavailable))
	} else {
		v.Notes = append(v.Notes, fmt.Sprintf("%s: no ID issued after the cut; %d UNAVAILABLE during it", n.name, unavailable))
	}
	if how, at := recovery(f, sc); at >= 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%s recovered %.2fs after the heal: %s", n.name, (at-sc.healAt).Seconds(), how))
	} else {
		v.Scenario++
		v.evidence("%s did not recover after the heal at %s: no IDs, no ready sample, no answer from the store", n.name, sc.healAt)
	}
	v.Notes = append(v.Notes, sc.notes...)
}

// recovery returns the first sign after the heal that the target works
// with the store again, and when it came; -1 when none came.
func recovery(f *fleet, sc *scenarioState) (string, time.Duration) {
	how, at := "", time.Duration(-1)
	better := func(what string, t time.Duration) {
		if t >= sc.healAt && (at < 0 || t < at) {
			how, at = what, t
		}
	}
	for _, b := range f.loads[sc.target].batches {
		if b.At >= sc.healAt {
			better(fmt.Sprintf("served IDs (incarnation %d)", b.Inc), b.At)
			break
		}
	}
	for _, s := range f.samples[sc.target].s {
		if s.At >= sc.healAt && (s.Ready || s.ReasonCode == "no_worker_id" || s.ReasonCode == "claim_floor") {
			better(fmt.Sprintf("/status ready %v %s, WorkerId %d (incarnation %d)", s.Ready, s.ReasonCode, s.WorkerID, s.Incarnation), s.At)
			break
		}
	}
	for _, e := range f.nodes[sc.target].exits() {
		if e.At >= sc.healAt && strings.Contains(e.LastLine, "no free WorkerId") {
			better(fmt.Sprintf("the store says every WorkerId is held (incarnation %d exited)", e.Incarnation), e.At)
			break
		}
	}
	return how, at
}
