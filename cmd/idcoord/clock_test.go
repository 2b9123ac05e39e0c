package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/zktest"
)

// clockJSON mirrors clock -o json, field by field.
type clockJSON struct {
	Nodes             []clockNodeJSON `json:"nodes"`
	MeanOffsetSeconds *float64        `json:"mean_offset_seconds"`
	Answered          int             `json:"answered"`
	Asked             int             `json:"asked"`
	MaxDriftSeconds   float64         `json:"max_drift_seconds"`
}

type clockNodeJSON struct {
	Node          string   `json:"node"`
	Admin         string   `json:"admin"`
	WorkerID      int64    `json:"worker_id"`
	OffsetSeconds *float64 `json:"offset_seconds"`
	RTTSeconds    *float64 `json:"rtt_seconds"`
	Status        string   `json:"status"`
	Error         string   `json:"error"`
}

// clockNodeKeys are the keys of every node object, null or not.
var clockNodeKeys = []string{"node", "admin", "worker_id", "offset_seconds", "rtt_seconds", "status", "error"}

// clockRun runs clock -o json and decodes its output strictly.
func (f *fleet) clockRun(t *testing.T) (doc clockJSON, stderr string, code int) {
	t.Helper()
	out, stderr, code := f.cli(t, "clock", "-o", "json")
	strictJSON(t, out, &doc)
	wantKeys(t, out, "nodes", clockNodeKeys)
	return doc, stderr, code
}

// checkNodes checks that doc lists the fleet's nodes, sorted by name, with
// their admin addresses and WorkerIds.
func (f *fleet) checkNodes(t *testing.T, doc clockJSON) {
	t.Helper()
	if len(doc.Nodes) != fleetSize || doc.Asked != fleetSize || doc.MaxDriftSeconds != 1 {
		t.Fatalf("clock: %+v, want %d nodes asked, max drift 1s", doc, fleetSize)
	}
	for i, n := range doc.Nodes {
		if n.Node != f.names[i] || n.Admin != f.admins[i].addr || n.WorkerID != f.nodes[i].Status().WorkerID {
			t.Errorf("clock node %d: %+v, want %s at %s with WorkerId %d", i, n, f.names[i], f.admins[i].addr, f.nodes[i].Status().WorkerID)
		}
	}
}

func TestClockCommand(t *testing.T) {
	stores := append([]testStore{etcdStore(t)}, zkStores(zktest.Start(t))[0])
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			f := startFleet(t, s)

			// In step: every node within the drift, exit 0.
			doc, stderr, code := f.clockRun(t)
			if code != 0 || stderr != "" {
				t.Fatalf("clock with every node in step: exit %d, stderr %q", code, stderr)
			}
			f.checkNodes(t, doc)
			var sum float64
			for _, n := range doc.Nodes {
				switch {
				case n.Status != "ok" || n.Error != "":
					t.Errorf("node %s: status %q, error %q, want ok", n.Node, n.Status, n.Error)
				case n.OffsetSeconds == nil || math.Abs(*n.OffsetSeconds) > 0.2:
					t.Errorf("node %s: offset %v, want within 0.2s of a clock on the same machine", n.Node, n.OffsetSeconds)
				case n.RTTSeconds == nil || *n.RTTSeconds < 0 || *n.RTTSeconds > 1:
					t.Errorf("node %s: rtt %v, want 0..1s", n.Node, n.RTTSeconds)
				default:
					sum += *n.OffsetSeconds
				}
			}
			if doc.Answered != fleetSize || doc.MeanOffsetSeconds == nil || math.Abs(*doc.MeanOffsetSeconds-sum/fleetSize) > 1e-5 {
				t.Errorf("clock: answered %d, mean %v, want %d and the mean of the offsets, %.3f", doc.Answered, doc.MeanOffsetSeconds, fleetSize, sum/fleetSize)
			}
			table := f.mustCLI(t, "clock")
			for _, want := range append([]string{"NODE", "OFFSET", "RTT", "STATUS", "mean offset", "over 3 of 3 nodes (clock.max-drift 1s)"}, f.names...) {
				if !strings.Contains(table, want) {
					t.Errorf("clock table does not hold %q:\n%s", want, table)
				}
			}
			t.Logf("clock on %s, in step:\n%s", s.name, table)

			// node-1 5s ahead: exit 1, one line after the output naming it.
			f.admins[1].offset.Store(int64(5 * time.Second))
			doc, stderr, code = f.clockRun(t)
			f.checkNodes(t, doc)
			if code != 1 || strings.Count(stderr, "\n") != 1 ||
				!strings.HasPrefix(stderr, "idcoord: clock: node clock past clock.max-drift 1s: node node-1 ("+f.admins[1].addr+") is ") ||
				!strings.Contains(stderr, "ahead of this machine") {
				t.Errorf("clock with node-1 5s ahead: exit %d, stderr %q", code, stderr)
			}
			off := doc.Nodes[1].OffsetSeconds
			if doc.Nodes[1].Status != "drift" || off == nil || math.Abs(*off-5) > 0.2 {
				t.Errorf("node-1 5s ahead: %+v (offset %v)", doc.Nodes[1], off)
			}
			if doc.Nodes[0].Status != "ok" || doc.Nodes[2].Status != "ok" {
				t.Errorf("the nodes in step: %+v, %+v, want ok", doc.Nodes[0], doc.Nodes[2])
			}
			if doc.MeanOffsetSeconds == nil || math.Abs(*doc.MeanOffsetSeconds-5.0/3) > 0.2 {
				t.Errorf("mean offset %v, want about 1.667s", doc.MeanOffsetSeconds)
			}
			out, stderr, code := f.cli(t, "clock")
			if code != 1 || strings.Count(stderr, "\n") != 1 {
				t.Errorf("clock table with node-1 5s ahead: exit %d, stdout %q, stderr %q", code, out, stderr)
			}
			// The offset is measured, so the table shows +4.99s as well
			// as +5s: read it back and compare within the tolerance above.
			if row := clockRow(t, out, "node-1"); row.status != "drift" || math.Abs(row.offset.Seconds()-5) > 0.2 {
				t.Errorf("clock table with node-1 5s ahead: node-1 row %+v, want drift and about +5s:\n%s", row, out)
			}
			t.Logf("clock on %s, node-1 5s ahead:\n%s%s", s.name, out, stderr)

			// node-1 in step again, node-2 not answering: exit 1, naming it.
			f.admins[1].offset.Store(0)
			f.admins[2].broken.Store(true)
			doc, stderr, code = f.clockRun(t)
			if code != 1 || !strings.Contains(stderr, "node clock unreadable: node node-2") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("clock with node-2 not answering: exit %d, stderr %q", code, stderr)
			}
			n2 := doc.Nodes[2]
			if n2.Status != "no answer" || n2.OffsetSeconds != nil || n2.RTTSeconds != nil || !strings.Contains(n2.Error, "HTTP 503") {
				t.Errorf("node-2 not answering: %+v", n2)
			}
			if doc.Answered != fleetSize-1 || doc.Asked != fleetSize {
				t.Errorf("answered %d of %d, want %d of %d", doc.Answered, doc.Asked, fleetSize-1, fleetSize)
			}
		})
	}
}

// clockTableRow is one node's row of the clock table, parsed.
type clockTableRow struct {
	offset time.Duration
	status string
}

// clockRow finds node's row in a clock table and parses its OFFSET (a
// signed Go duration such as +4.99s) and STATUS.
func clockRow(t *testing.T, table, node string) clockTableRow {
	t.Helper()
	lines := strings.Split(table, "\n")
	header := strings.Fields(lines[0])
	if !slices.Equal(header, []string{"NODE", "ADMIN", "WORKER", "OFFSET", "RTT", "STATUS"}) {
		t.Fatalf("clock table header %q", lines[0])
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != node {
			continue
		}
		d, err := time.ParseDuration(strings.TrimPrefix(f[3], "+"))
		if err != nil {
			t.Fatalf("clock table: %s's OFFSET %q: %v", node, f[3], err)
		}
		return clockTableRow{offset: d, status: strings.Join(f[5:], " ")}
	}
	t.Fatalf("clock table has no row for %s:\n%s", node, table)
	return clockTableRow{}
}

func TestClockRow(t *testing.T) {
	table := "NODE    ADMIN           WORKER  OFFSET  RTT    STATUS\n" +
		"node-0  127.0.0.1:1     1       -12ms   1ms    ok\n" +
		"node-1  127.0.0.1:2     2       +4.99s  2ms    drift\n"
	if got := clockRow(t, table, "node-1"); got != (clockTableRow{offset: 4990 * time.Millisecond, status: "drift"}) {
		t.Errorf("node-1: %+v", got)
	}
	if got := clockRow(t, table, "node-0"); got != (clockTableRow{offset: -12 * time.Millisecond, status: "ok"}) {
		t.Errorf("node-0: %+v", got)
	}
}

// TestClockNoNodes: an empty cluster has nothing to measure, and that is
// not a failure.
func TestClockNoNodes(t *testing.T) {
	s := etcdStore(t)
	out := mustRun(t, append([]string{"clock", "-o", "json"}, s.args("empty")...)...)
	var doc clockJSON
	strictJSON(t, out, &doc)
	if len(doc.Nodes) != 0 || doc.Asked != 0 || doc.Answered != 0 || doc.MeanOffsetSeconds != nil || doc.Nodes == nil {
		t.Fatalf("clock on an empty cluster: %s", out)
	}
	if table := mustRun(t, append([]string{"clock"}, s.args("empty")...)...); !strings.Contains(table, "no live nodes") {
		t.Fatalf("clock table on an empty cluster:\n%s", table)
	}
}
