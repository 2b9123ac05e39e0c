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
	n := holdTarget(f, sc, 0)
	f.run(f.steady(1500 * time.Millisecond))
	ports := make([]string, len(f.fwds))
	for i, fw := range f.fwds {
		ports[i] = fw.Port()
	}
	rule := []string{"iptables", "-w", "-A", "OUTPUT", "-d", f.ns.hostAddr, "-p", "tcp", "-m", "multiport",
		"--dports", strings.Join(ports, ","), "-j", "DROP"}
	f.mark("fault", fmt.Sprintf("iptables in %s drops %s's packets to etcd (%s:%s) (WorkerId %d)",
		f.ns.name, n.name, f.ns.hostAddr, strings.Join(ports, ","), sc.wid), sc.target)
	if err := f.ns.exec(rule...); err != nil {
		f.t.Fatal(err)
	}
	sc.faultAt = f.since()
	f.run(fleetTTL + 3*time.Second)
	rule[2] = "-D"
	if err := f.ns.exec(rule...); err != nil {
		f.t.Fatal(err)
	}
	sc.healAt = f.since()
	f.mark("heal", "drop rule deleted in "+f.ns.name, sc.target)
	f.run(f.steady(5 * time.Second))
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
	f.mark("fault", fmt.Sprintf("etcd %s (%s), the only member %s talks to, cut off from its peers (WorkerId %d)",
		a.Name(), role, n.name, sc.wid), sc.target)
	rules, err := f.rules.isolatePeer(a.PID(), peerPort(f, a.PeerURL()), others)
	if err != nil {
		f.t.Fatal(err)
	}
	sc.faultAt = f.since()
	sc.note("%s was %s; %d iptables rules", a.Name(), role, rules)
	f.run(fleetTTL + 3*time.Second)
	if err := f.rules.Remove(); err != nil {
		f.t.Fatal(err)
	}
	sc.healAt = f.since()
	f.mark("heal", "rules removed: "+a.Name()+" rejoins", sc.target)
	f.run(f.steady(5 * time.Second))
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
	bound := sc.faultAt + fleetTTL + electionMargin
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
		if s.At >= sc.healAt && (s.Ready || s.ReasonCode == "no_worker_id") {
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
