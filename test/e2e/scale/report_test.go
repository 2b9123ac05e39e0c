package scale

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idcoord/idcoord"
)

// result is one run's figures.
type result struct {
	store                 store
	nodes                 int
	storm                 stormResult
	window                rates   // the store during the window
	probes                float64 // /clock probes served per second, whole fleet
	fleetCPU              float64 // this process (every node's client side), share of a core
	readyAtEnd            int
	readyCounts           []readyCount // ready nodes counted through the window
	loadBefore, loadAfter string
	// warnings are the fleet's most frequent warnings: in the storm and
	// the settling time, and in the window.
	stormWarnings, warnings string
}

// stormResult is the fleet-start storm: every node started at once.
type stormResult struct {
	last, median time.Duration // from the start to the first ID
	started      int
	lapsed       int // started, but not ready at once: recovered by themselves
	holding      int // nodes holding a WorkerId right after the storm
	seconds      float64
	writes       float64            // store writes during the storm, whole fleet
	requests     float64            // store requests during the storm, whole fleet
	kinds        map[string]float64 // store requests by kind during the storm
	probes       int64              // /clock probes served during the storm
}

func stormOf(f *fleet, before, after storeSample, probes int64) stormResult {
	times := f.readyTimes()
	s := stormResult{started: len(times), lapsed: f.lapsedCount(), seconds: after.at.Sub(before.at).Seconds(), probes: probes,
		writes: after.writes - before.writes, requests: after.requests - before.requests, kinds: map[string]float64{}}
	if len(times) > 0 {
		s.last, s.median = times[len(times)-1], times[len(times)/2]
	}
	for k, v := range after.kinds {
		s.kinds[k] = v - before.kinds[k]
	}
	return s
}

// tableHeader is the table, filled per store.
const tableHeader = "| store | N nodes | store writes/s | per node | all store requests/s per node | store server CPU (% of a core) | peer `/clock` probes/s, whole fleet | per node |\n" +
	"|---|---|---|---|---|---|---|---|\n"

// render returns the run's report in Markdown.
func (r result) render() string {
	var b strings.Builder
	n := float64(r.nodes)
	fmt.Fprintf(&b, "#### Fleet scale on %s: %s nodes (%s UTC; load average %s before, %s after)\n\n",
		r.store.name(), group(n, 0), time.Now().UTC().Format("2006-01-02 15:04"), r.loadBefore, cmp.Or(r.loadAfter, "-"))
	if r.window.seconds > 0 {
		w := r.window
		b.WriteString(tableHeader)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s%% | %s | %s |\n\n", r.store.name(), group(n, 0),
			group(w.writes, 0), group(w.writes/n, 2), group(w.requests/n, 2), group(100*w.cpuShare, 0),
			group(r.probes, 0), group(r.probes/n, 2))
		fmt.Fprintf(&b, "- window: %.0f s, from %v after the last node was ready; default periods (W raised every %v, report every %v, peer check every %v)\n",
			w.seconds, settle, idcoord.DefaultRefreshEvery, idcoord.DefaultReportEvery, idcoord.DefaultPeerCheckEvery)
	}
	s := r.storm
	fmt.Fprintf(&b, "- fleet-start storm: %s nodes started at once; %s issued a first ID, the last after %s, the median after %s "+
		"(%s of them not ready at once after Start, their lease or W lapsed under the load, and ready again by themselves); %s hold a WorkerId, each its own. "+
		"During the storm (%.0f s) the store took %s writes and %s requests per node (%s), and the nodes served %s `/clock` probes\n",
		group(n, 0), group(float64(s.started), 0), seconds(s.last), seconds(s.median), group(float64(s.lapsed), 0), group(float64(s.holding), 0),
		s.seconds, group(s.writes/n, 1), group(s.requests/n, 1), perNode(s.kinds, n), group(float64(s.probes), 0))
	if r.window.seconds > 0 {
		fmt.Fprintf(&b, "- store requests by kind, per second, whole fleet: %s\n", byKind(r.window.kinds, 1))
		fmt.Fprintf(&b, "- peer listing: %s\n", r.store.listingNote(r.window, r.nodes))
		fmt.Fprintf(&b, "- store at the end: %s\n", byKind(r.window.gauges, 0))
		fmt.Fprintf(&b, "- this test process (every node's client side and admin listener): %s%% of a core\n", group(100*r.fleetCPU, 0))
		fmt.Fprintf(&b, "- ready nodes through the window (counted every %v): %s; at its end %s of %s. Below 90%% ready at (s after the storm's start): %s\n",
			readyEvery, spread(r.readyCounts), group(float64(r.readyAtEnd), 0), group(n, 0), dips(r.readyCounts, 0.9*n))
		if e, ok := r.store.(*etcdStore); ok {
			fmt.Fprintf(&b, "- %s\n", e.largestFleet(r.window, r.nodes))
		}
	}
	if r.window.seconds > 0 {
		fmt.Fprintf(&b, "- warnings the fleet logged in the storm: %s\n", cmp.Or(r.stormWarnings, "-"))
		fmt.Fprintf(&b, "- warnings the fleet logged in the window: %s\n", cmp.Or(r.warnings, "-"))
	} else {
		fmt.Fprintf(&b, "- warnings the fleet logged: %s\n", cmp.Or(r.warnings, "-"))
	}
	return b.String()
}

// byKind lists counters as "name value", largest first, with the given
// decimals.
func byKind(m map[string]float64, decimals int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	var parts []string
	for _, k := range keys {
		if m[k] != 0 {
			parts = append(parts, k+" "+group(m[k], decimals))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// perNode lists counters divided by n, largest first.
func perNode(m map[string]float64, n float64) string {
	scaled := map[string]float64{}
	for k, v := range m {
		scaled[k] = v / n
	}
	return byKind(scaled, 1)
}

// spread gives the least, the median and the most of the counts.
func spread(counts []readyCount) string {
	if len(counts) == 0 {
		return "-"
	}
	var sorted []int
	for _, c := range counts {
		sorted = append(sorted, c.ready)
	}
	slices.Sort(sorted)
	return fmt.Sprintf("least %s, median %s, most %s", group(float64(sorted[0]), 0),
		group(float64(sorted[len(sorted)/2]), 0), group(float64(sorted[len(sorted)-1]), 0))
}

// dips lists the times of the counts below floor, with the count, or
// "never".
func dips(counts []readyCount, floor float64) string {
	var parts []string
	for _, c := range counts {
		if float64(c.ready) < floor {
			parts = append(parts, fmt.Sprintf("%.0f (%d)", c.at.Seconds(), c.ready))
		}
	}
	if len(parts) == 0 {
		return "never"
	}
	return strings.Join(parts, ", ")
}

func seconds(d time.Duration) string { return group(d.Seconds(), 1) + " s" }

// group formats v with the given decimals and a comma between thousands.
func group(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		whole += "." + frac
	}
	return sign + whole
}
