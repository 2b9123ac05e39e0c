package e2e

import (
	"fmt"
	"syscall"
	"time"
)

// runZKPause stops a serving node with SIGSTOP past its ZooKeeper session
// timeout while two nodes wait for a WorkerId, then wakes it.
func runZKPause(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	n.signal(syscall.SIGSTOP)
	sc.faultAt = f.since()
	f.mark("fault", fmt.Sprintf("SIGSTOP %s (WorkerId %d) for session timeout %s + 3s", n.name, sc.wid, zkSession), sc.target)
	f.run(zkSession + 3*time.Second)
	sc.healAt = f.since()
	n.signal(syscall.SIGCONT)
	f.mark("heal", "SIGCONT "+n.name, sc.target)
	f.run(f.steady(3 * time.Second))
}

// runZKKill kills the ZooKeeper server with SIGKILL under load, keeps it
// down past the session timeout, and starts it again on its data.
func runZKKill(f *fleet, sc *scenarioState) {
	f.run(f.steady(1500 * time.Millisecond))
	f.mark("fault", "kill -9 the ZooKeeper server")
	f.zk.Kill()
	sc.faultAt = f.since()
	f.run(zkSession + 2*time.Second)
	// The heal is the restart's launch, not the moment the harness sees the
	// server ready: a node may reconnect before the harness's probe answers.
	sc.healAt = f.since()
	f.storeOutage("ZooKeeper killed", sc.faultAt, sc.healAt)
	f.mark("heal", "ZooKeeper restarting on its data")
	f.zk.Restart(f.t)
	f.mark("mark", "ZooKeeper serves again")
	f.run(f.steady(3 * time.Second))
}

// postZKKill checks that no node issued an ID once its session must have
// looked dead to it: the store's death + the session timeout, until the
// restart.
func postZKKill(f *fleet, sc *scenarioState, v *verdict) {
	sc.quorumLost = sc.faultAt
	bound := sc.faultAt + zkSession + fenceSlack
	lay, _ := f.layoutOf()
	last := time.Duration(-1)
	for i, l := range f.loads {
		for _, b := range l.batches {
			id := l.ids[b.First+b.N-1]
			served := f.servedAt(f.nodes[i], lay, id, b.At)
			if served > sc.faultAt && served < sc.healAt {
				last = max(last, served)
				if served > bound {
					v.Scenario++
					v.evidence("%s issued ID %d at %s with ZooKeeper dead since %s", f.nodes[i].name, id, served, sc.faultAt)
				}
			}
		}
	}
	if last >= 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("last ID issued %.2fs after ZooKeeper died", (last-sc.faultAt).Seconds()))
	} else {
		v.Notes = append(v.Notes, "no ID issued after ZooKeeper died")
	}
}

// runZKFollowerCut cuts the follower node 0 talks to off from the leader
// and the other follower, both ways, on their quorum and election ports.
// The leader keeps its quorum with the other follower and expires node 0's
// session; the cut-off follower answers node 0's reads until it gives up on
// its leader, but no write or sync, so node 0's fence must end by the time
// the leader may expire the session.
func runZKFollowerCut(f *fleet, sc *scenarioState) {
	n := holdTarget(f, sc, 0)
	f.run(f.steady(1500 * time.Millisecond))
	home := f.zkHome
	var others []int
	for _, m := range f.zkens.Members() {
		if m != home {
			others = append(others, m.QuorumPort(), m.ElectionPort())
		}
	}
	isolateMember(f, sc, fmt.Sprintf("ZooKeeper follower %d, the only member %s talks to, cut off from the leader and the other follower", home.ID(), n.name),
		home.PID(), []int{home.QuorumPort(), home.ElectionPort()}, others)
}
