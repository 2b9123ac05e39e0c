package e2e

import (
	"fmt"
	"slices"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// runRestore cuts node 0, a holder, off from the store, puts the store
// back to the copy taken before any node started, and heals the cut once
// another node serves node 0's WorkerId (at most 20 s after the restore).
// The restored store has forgotten every claim, every W and the layout; the
// waiting nodes, and the holders that lost their connections in the
// restart, claim at once, while node 0 may still issue up to its own W
// until its fence runs out. Healing only after the takeover keeps node 0,
// whose name asks for that WorkerId first, from taking it back itself,
// which would leave the scenario nothing to show.
func runRestore(f *fleet, sc *scenarioState) {
	holdTarget(f, sc, 0)
	f.run(f.steady(1500 * time.Millisecond))
	heal := cutNetns(f, sc)
	testproc.Restore(f.t, f.store(), f.backup)
	sc.restoredAt = f.since()
	f.mark("mark", "store restored from the copy taken before any node started: no WorkerId held, no W")
	f.run(time.Second)
	for deadline := time.Now().Add(19 * time.Second); time.Now().Before(deadline) && !takenOver(f, sc); {
		f.run(200 * time.Millisecond)
	}
	heal()
	f.runUntilBack(sc, f.steady(8*time.Second))
}

// takenOver reports whether a node other than the target serves the
// target's WorkerId, by its last status sample.
func takenOver(f *fleet, sc *scenarioState) bool {
	for i := range f.samples {
		if i == sc.target {
			continue
		}
		if s, ok := f.samples[i].last(); ok && s.Ready && s.WorkerID == sc.wid {
			return true
		}
	}
	return false
}

// postRestore checks that the cut-off holder issued nothing past its fence
// while cut off, and nothing past it under its old holding after the heal
// either (a holder may issue until its fence even once it reaches the
// store again, not after), and that the scenario
// did what it is for: another node served the target's WorkerId after the
// restore. Whether the new holder's IDs stayed above the old holder's is
// the checker's range column; the note gives the margin.
func postRestore(f *fleet, sc *scenarioState, v *verdict) {
	lay, _ := f.layoutOf()
	n := f.nodes[sc.target]
	l := f.loads[sc.target]
	bound := f.cutBound(sc.faultAt)
	var oldMax int64 = -1
	for _, b := range l.batches {
		ids := l.ids[b.First : b.First+b.N]
		if lay.worker(ids[0]) == sc.wid && b.At < sc.healAt {
			oldMax = max(oldMax, slices.Max(ids))
		}
		served := f.servedAt(n, lay, slices.Max(ids), b.At)
		if served > bound && served < sc.healAt {
			v.Scenario++
			v.evidence("%s issued ID %d at %s, cut off since %s", n.name, ids[0], served, sc.faultAt)
		}
	}
	checkOldHolding(f, sc, v, sc.faultAt, bound, "past its fence")

	// The first IDs of the target's WorkerId that another node issued after
	// the restore.
	newMin, newNode, newAt := int64(-1), "", time.Duration(-1)
	for i, l := range f.loads {
		if i == sc.target {
			continue
		}
		for _, b := range l.batches {
			ids := l.ids[b.First : b.First+b.N]
			if b.At < sc.restoredAt || lay.worker(ids[0]) != sc.wid {
				continue
			}
			if lo := slices.Min(ids); newMin < 0 || lo < newMin {
				newMin, newNode, newAt = lo, f.nodes[i].name, b.At
			}
		}
	}
	if newMin < 0 {
		v.Scenario++
		v.evidence("no other node served WorkerId %d after the restore: the scenario shows nothing", sc.wid)
	} else {
		v.Notes = append(v.Notes, fmt.Sprintf("WorkerId %d: %s's last ID before the heal at %s; %s served it from %.2fs after the restore, its first ID %s later",
			sc.wid, n.name, lay.wall(oldMax).Sub(f.start).Round(time.Millisecond), newNode, (newAt-sc.restoredAt).Seconds(),
			lay.wall(newMin).Sub(lay.wall(oldMax)).Round(time.Millisecond)))
	}
	if how, at := recovery(f, sc); at >= 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%s recovered %.2fs after the heal: %s", n.name, (at-sc.healAt).Seconds(), how))
	} else {
		v.Scenario++
		v.evidence("%s did not recover after the heal at %s", n.name, sc.healAt)
	}
	v.Notes = append(v.Notes, exitCounts(f, sc.restoredAt)...)
}

// exitCounts summarises, per node, the exits from the time from on.
func exitCounts(f *fleet, from time.Duration) []string {
	var out []string
	for _, n := range f.nodes {
		count, last := 0, ""
		for _, e := range n.exits() {
			if e.At >= from && e.Code > 0 {
				count, last = count+1, e.LastLine
			}
		}
		if count > 0 {
			out = append(out, fmt.Sprintf("%s exited %d times after the restore, last: %s", n.name, count, last))
		}
	}
	return out
}
