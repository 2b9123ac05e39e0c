package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// longEnv turns the long matrix on.
const longEnv = "IDCOORD_E2E_LONG"

// reportEnv names a file the report table is written to, besides t.Log.
const reportEnv = "IDCOORD_E2E_REPORT"

// row is one line of the report.
type row struct {
	id, name string
	seed     int64
	v        verdict
	took     time.Duration
}

// TestFaultMatrix runs every scenario once against a fresh fleet with a
// few seconds of load, and fails on any duplicate or violation. The times
// it reports are measurements, never assertions.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process fault matrix")
	}
	runMatrix(t, []int64{1}, 1, loadOptions{Rate: 200})
}

// TestLongFaultMatrix runs the matrix with several seeds, longer load
// phases and a faster pace: more than 10M IDs. It runs only with
// IDCOORD_E2E_LONG=1 (make e2e).
func TestLongFaultMatrix(t *testing.T) {
	if os.Getenv(longEnv) == "" {
		t.Skipf("set %s=1 to run the long matrix", longEnv)
	}
	seeds := []int64{11, 12, 13}
	if s := os.Getenv("IDCOORD_E2E_SEEDS"); s != "" {
		seeds = nil
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("IDCOORD_E2E_SEEDS: %v", err)
			}
			seeds = append(seeds, v)
		}
	}
	runMatrix(t, seeds, 4, loadOptions{Rate: 500, MinBatch: 50, MaxBatch: 200, Depth: 8})
}

func runMatrix(t *testing.T, seeds []int64, scale float64, load loadOptions) {
	began := time.Now()
	noStore := startColdNoStore(t)
	var rows []row
	for _, seed := range seeds {
		for _, sc := range scenarios() {
			name := fmt.Sprintf("%s_%s/seed%d", sc.id, strings.Fields(sc.name)[0], seed)
			t.Run(name, func(t *testing.T) {
				start := time.Now()
				v := runScenario(t, sc, seed, scale, load)
				rows = append(rows, row{id: sc.id, name: sc.name, seed: seed, v: v, took: time.Since(start)})
				judge(t, v)
			})
		}
	}
	rows = append(rows, noStore.finish(t))
	judge(t, rows[len(rows)-1].v)
	report := renderReport(rows, time.Since(began))
	t.Log("\n" + report)
	path := os.Getenv(reportEnv)
	if path == "" {
		path = filepath.Join(os.TempDir(), "idcoord-e2e-report.txt")
	}
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Logf("writing the report: %v", err)
	} else {
		t.Logf("report written to %s", path)
	}
}

// runScenario starts a fleet, runs one scenario and checks the logs.
func runScenario(t *testing.T, sc scenario, seed int64, scale float64, load loadOptions) verdict {
	opts := sc.opts
	opts.Seed, opts.Load, opts.Scale = seed, load, scale
	f := startFleet(t, opts)
	state := &scenarioState{}
	sc.run(f, state)
	f.finish()
	v := f.check()
	if sc.post != nil {
		sc.post(f, state, &v)
	}
	v.Notes = append(v.Notes, exitSummary(f)...)
	f.mu.Lock()
	for _, n := range f.mu.notes {
		t.Log(n)
	}
	f.mu.Unlock()
	for _, e := range v.Evidence {
		t.Log("EVIDENCE: " + e)
	}
	for _, n := range v.Notes {
		t.Log("note: " + n)
	}
	return v
}

// judge fails the test on any duplicate or violation.
func judge(t *testing.T, v verdict) {
	t.Helper()
	if v.Duplicates > 0 || v.violations() > 0 {
		t.Errorf("%d duplicates, %d violations (order %d, worker %d, fence %d, range %d, protocol %d, scenario %d, segment %d)",
			v.Duplicates, v.violations(), v.OrderViolations, v.WorkerViolations, v.FenceViolations, v.RangeOverlaps, v.Protocol, v.Scenario,
			v.Seg.violations())
	}
	if s := v.Seg; s.Duplicates > 0 || s.violations() > 0 {
		t.Errorf("segment load: %d duplicates, %d violations (order %d, restart %d, range %d, hang %d, protocol %d, refused %d, overrun %d)",
			s.Duplicates, s.violations(), s.Order, s.Restart, s.Range, s.Hangs, s.Protocol, s.Refused, s.Overrun)
	}
	if v.MaxPastFence > fenceSlack {
		t.Errorf("served %s past a fence deadline", v.MaxPastFence)
	}
}

func dur(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// renderReport formats the table.
func renderReport(rows []row, total time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-46s %4s %10s %4s %5s %6s %5s %5s %5s %5s %5s %8s %9s %9s %10s %6s\n",
		"#", "scenario", "seed", "IDs", "dup", "order", "worker", "fence", "range", "proto", "scen", "wchg", "unavail", "fault>UNA", "heal>ok", "maxPastFnc", "took")
	var ids, dups, viol int
	for _, r := range rows {
		v := r.v
		ids += v.IDs
		dups += v.Duplicates
		viol += v.violations()
		past := "-"
		if v.FenceChecked > 0 {
			past = fmt.Sprintf("%+.3fs", v.MaxPastFence.Seconds())
		}
		fmt.Fprintf(&b, "%-4s %-46s %4d %10d %4d %5d %6d %5d %5d %5d %5d %5d %8d %9s %9s %10s %5.0fs\n",
			r.id, r.name, r.seed, v.IDs, v.Duplicates, v.OrderViolations, v.WorkerViolations, v.FenceViolations, v.RangeOverlaps,
			v.Protocol, v.Scenario, v.WorkerChanges, v.Unavailable, dur(v.FaultToUnavailable), dur(v.HealToGood), past, r.took.Seconds())
	}
	fmt.Fprintf(&b, "total: %d IDs, %d duplicates, %d violations, %s\n", ids, dups, viol, total.Round(time.Second))
	renderSegments(&b, rows)
	for _, r := range rows {
		for _, n := range r.v.Notes {
			fmt.Fprintf(&b, "  [%s seed %d] %s\n", r.id, r.seed, n)
		}
	}
	return b.String()
}

// renderSegments adds the segment load's table, for the scenarios that
// ran one.
func renderSegments(b *strings.Builder, rows []row) {
	var ids, dups, viol int
	header := false
	for _, r := range rows {
		s := r.v.Seg
		if !s.On {
			continue
		}
		if !header {
			header = true
			fmt.Fprintf(b, "\nsegment load: tags %s, step %d; per node %d connections of `N TAG` requests\n",
				strings.Join(segmentTags, " "), segmentStep, segLoadOptions{}.withDefaults().Conns)
			fmt.Fprintf(b, "%-4s %-46s %4s %9s %7s %4s %5s %7s %5s %5s %4s %4s %4s %6s %5s %8s %6s %8s\n",
				"#", "scenario", "seed", "segIDs", "reqs", "sdup", "sord", "srst", "srang", "shang", "sbad", "sref", "sovr", "sUNA", "drop", "dnIDs", "dnUNA", "maxWait")
		}
		ids += s.IDs
		dups += s.Duplicates
		viol += s.violations()
		fmt.Fprintf(b, "%-4s %-46s %4d %9d %7d %4d %5d %7s %5d %5d %4d %4d %4d %6d %5d %8d %6d %7.2fs\n",
			r.id, r.name, r.seed, s.IDs, s.Requests, s.Duplicates, s.Order, fmt.Sprintf("%d/%d", s.Restart, s.Restarts),
			s.Range, s.Hangs, s.Protocol, s.Refused, s.Overrun, s.Unavailable, s.Dropped, s.DownIDs, s.DownUNA, s.MaxWait.Seconds())
	}
	if header {
		fmt.Fprintf(b, "segment total: %d IDs, %d duplicates, %d violations\n", ids, dups, viol)
	}
}

// exitSummary counts the nodes' own exits (not the ones the test caused
// with a signal) by reason, numbers masked, first time seen.
func exitSummary(f *fleet) []string {
	type seen struct {
		count int
		first exitRecord
		node  string
	}
	digits := regexp.MustCompile(`[0-9][0-9.]*`)
	by := map[string]*seen{}
	var order []string
	for _, n := range f.nodes {
		for _, e := range n.exits() {
			if e.Code <= 0 {
				continue
			}
			key := digits.ReplaceAllString(e.LastLine, "N")
			if by[key] == nil {
				by[key] = &seen{first: e, node: n.name}
				order = append(order, key)
			}
			by[key].count++
		}
	}
	var out []string
	for _, k := range order {
		s := by[k]
		out = append(out, fmt.Sprintf("%d node exits like: %s inc %d at %.2fs: %s", s.count, s.node, s.first.Incarnation, s.first.At.Seconds(), s.first.LastLine))
	}
	return out
}
