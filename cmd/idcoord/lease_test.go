package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"gopkg.in/yaml.v3"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
)

// holderJSON mirrors one holder of lease ls -o json, field by field.
type holderJSON struct {
	WorkerID              int64       `json:"worker_id"`
	Node                  string      `json:"node"`
	Admin                 string      `json:"admin"`
	Live                  bool        `json:"live"`
	HeldSince             *time.Time  `json:"held_since"`
	LeaseLeftSeconds      *float64    `json:"lease_left_seconds"`
	Session               *string     `json:"session"`
	HighWater             *time.Time  `json:"high_water"`
	HighWaterAheadSeconds *float64    `json:"high_water_ahead_seconds"`
	LastReport            *reportJSON `json:"last_report"`
	LastReportAgeSeconds  *float64    `json:"last_report_age_seconds"`
	Stuck                 bool        `json:"stuck"`
	BadRecord             *string     `json:"bad_record"`
}

// holderKeys are the keys every holder object has, null or not.
var holderKeys = []string{"worker_id", "node", "admin", "live", "held_since", "lease_left_seconds", "session",
	"high_water", "high_water_ahead_seconds", "last_report", "last_report_age_seconds", "stuck", "bad_record"}

type reportJSON struct {
	Time      time.Time `json:"time"`
	Timestamp int64     `json:"timestamp"`
	WorkerID  int64     `json:"worker_id"`
	Admin     string    `json:"admin"`
}

type summaryJSON struct {
	Used     int64  `json:"used"`
	Free     int64  `json:"free"`
	Reserved int64  `json:"reserved"`
	Range    string `json:"range"`
	Stuck    int64  `json:"stuck"`
	Bad      int64  `json:"bad"`
}

type lsJSON struct {
	Holders []holderJSON `json:"holders"`
	Summary summaryJSON  `json:"summary"`
	Layout  *layoutJSON  `json:"layout"`
}

// layoutJSON mirrors the layout of lease ls -o json.
type layoutJSON struct {
	TimeBits       int       `json:"time_bits" yaml:"time_bits"`
	TimeUnit       string    `json:"time_unit" yaml:"time_unit"`
	WorkerBits     int       `json:"worker_bits" yaml:"worker_bits"`
	SequenceBits   int       `json:"sequence_bits" yaml:"sequence_bits"`
	Epoch          time.Time `json:"epoch" yaml:"epoch"`
	DatacenterBits int       `json:"datacenter_bits" yaml:"datacenter_bits"`
	DatacenterID   int64     `json:"datacenter_id" yaml:"datacenter_id"`
}

// twitterLayout is the fleet's layout, the default, as lease ls prints it.
var twitterLayout = layoutJSON{TimeBits: 41, TimeUnit: "1ms", WorkerBits: 10, SequenceBits: 12,
	Epoch: time.UnixMilli(1288834974657).UTC()}

type showJSON struct {
	Holder  holderJSON   `json:"holder"`
	History []reportJSON `json:"history"`
}

type revokeJSON struct {
	WorkerID int64  `json:"worker_id"`
	Node     string `json:"node"`
	Revoked  bool   `json:"revoked"`
	Stuck    bool   `json:"stuck"`
	Message  string `json:"message"`
}

// strictJSON decodes out into v, refusing fields v does not have.
func strictJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
}

// wantKeys checks that every object of the list named list in the JSON
// document out has exactly keys: no field left out, none added.
func wantKeys(t *testing.T, out, list string, keys []string) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]json.RawMessage
	if err := json.Unmarshal(doc[list], &objs); err != nil {
		t.Fatalf("%s: %v", list, err)
	}
	for _, obj := range objs {
		var got []string
		for k := range obj {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(keys))
		if !slices.Equal(got, want) {
			t.Fatalf("object keys %v, want %v", got, want)
		}
	}
}

// leaseList runs lease ls -o json and decodes it strictly.
func (f *fleet) leaseList(t *testing.T) lsJSON {
	t.Helper()
	out := f.mustCLI(t, "lease", "ls", "-o", "json")
	var doc lsJSON
	strictJSON(t, out, &doc)
	wantKeys(t, out, "holders", holderKeys)
	return doc
}

// holderOf returns the row of WorkerId wid.
func holderOf(t *testing.T, doc lsJSON, wid int64) holderJSON {
	t.Helper()
	for _, h := range doc.Holders {
		if h.WorkerID == wid {
			return h
		}
	}
	t.Fatalf("lease ls has no row for WorkerId %d: %+v", wid, doc.Holders)
	return holderJSON{}
}

// checkLive checks the row of a live node field by field.
func (f *fleet) checkLive(t *testing.T, h holderJSON, i int, now time.Time) {
	t.Helper()
	wid := f.nodes[i].Status().WorkerID
	switch {
	case h.WorkerID != wid, h.Node != f.names[i], h.Admin != f.admins[i].addr, !h.Live:
		t.Errorf("row %+v, want WorkerId %d, node %s, admin %s, live", h, wid, f.names[i], f.admins[i].addr)
	case h.HeldSince == nil || h.HeldSince.Before(f.started.Add(-time.Second)) || h.HeldSince.After(now):
		t.Errorf("WorkerId %d: held_since %v, want between the fleet's start %v and now", wid, h.HeldSince, f.started)
	case h.HighWater == nil || h.HighWaterAheadSeconds == nil || *h.HighWaterAheadSeconds <= 0 || *h.HighWaterAheadSeconds > 4:
		t.Errorf("WorkerId %d: high_water %v ahead %v, want 0..4s ahead (the window is 3s)", wid, h.HighWater, h.HighWaterAheadSeconds)
	case math.Abs(h.HighWater.Sub(now).Seconds()-*h.HighWaterAheadSeconds) > 1:
		t.Errorf("WorkerId %d: high_water %v does not agree with its %vs ahead", wid, h.HighWater, *h.HighWaterAheadSeconds)
	case h.LastReport == nil || h.LastReportAgeSeconds == nil:
		t.Errorf("WorkerId %d: no last report", wid)
	case h.LastReport.WorkerID != wid || h.LastReport.Admin != h.Admin || h.LastReport.Time.UnixMilli() != h.LastReport.Timestamp:
		t.Errorf("WorkerId %d: last report %+v, want WorkerId %d, admin %s", wid, *h.LastReport, wid, h.Admin)
	case *h.LastReportAgeSeconds < -0.1 || *h.LastReportAgeSeconds > 3:
		t.Errorf("WorkerId %d: last report %vs old; reports come every 0.2s", wid, *h.LastReportAgeSeconds)
	}
	f.checkLease(t, h)
}

// checkLease checks the lease column: seconds left on etcd, a session state
// on ZooKeeper.
func (f *fleet) checkLease(t *testing.T, h holderJSON) {
	t.Helper()
	if f.store.etcd != "" {
		switch {
		case h.Session != nil:
			t.Errorf("WorkerId %d: session %q on etcd, want null", h.WorkerID, *h.Session)
		case h.Live && (h.LeaseLeftSeconds == nil || *h.LeaseLeftSeconds <= 0 || *h.LeaseLeftSeconds > 3):
			t.Errorf("WorkerId %d: lease_left_seconds %v, want 0..3 (TTL 3s)", h.WorkerID, h.LeaseLeftSeconds)
		case !h.Live && h.LeaseLeftSeconds != nil:
			t.Errorf("WorkerId %d is not held, but lease_left_seconds is %v", h.WorkerID, *h.LeaseLeftSeconds)
		}
		return
	}
	session := "none"
	if h.Live {
		session = "live"
	}
	switch {
	case h.LeaseLeftSeconds != nil:
		t.Errorf("WorkerId %d: lease_left_seconds %v on ZooKeeper, want null", h.WorkerID, *h.LeaseLeftSeconds)
	case h.Session == nil || *h.Session != session:
		t.Errorf("WorkerId %d: session %v, want %q", h.WorkerID, h.Session, session)
	}
}

func TestLeaseCommands(t *testing.T) {
	for _, s := range allStores(t) {
		t.Run(s.name, func(t *testing.T) {
			f := startFleet(t, s)
			testLeaseList(t, f)
			testLeaseOtherZKMode(t, f)
			testLeaseShow(t, f)
			testLeaseRevoke(t, f)
			testLeaseAfterClose(t, f)
			testLeaseNoRecords(t, f)
		})
	}
}

func testLeaseList(t *testing.T, f *fleet) {
	var doc lsJSON
	eventually(t, 10*time.Second, "every node's clock report is listed", func() bool {
		doc = f.leaseList(t)
		for _, h := range doc.Holders {
			if h.LastReport == nil {
				return false
			}
		}
		return len(doc.Holders) == fleetSize
	})
	now := time.Now()
	for i, n := range f.nodes {
		f.checkLive(t, holderOf(t, doc, n.Status().WorkerID), i, now)
	}
	wantSum := summaryJSON{Used: 3, Free: 1023 - 3 - 1, Reserved: 1, Range: "1..1023"}
	if doc.Summary != wantSum {
		t.Errorf("summary %+v, want %+v", doc.Summary, wantSum)
	}
	if doc.Layout == nil || *doc.Layout != twitterLayout {
		t.Errorf("layout %+v, want %+v", doc.Layout, twitterLayout)
	}
	if !slices.IsSortedFunc(doc.Holders, func(a, b holderJSON) int { return int(a.WorkerID - b.WorkerID) }) {
		t.Errorf("holders are not sorted by WorkerId: %+v", doc.Holders)
	}

	table := f.mustCLI(t, "lease", "ls")
	if first, _, _ := strings.Cut(table, "\n"); first != "layout: 41/10/12 @1ms epoch 2010-11-04T01:42:54.657Z (time/worker/sequence bits, tick, epoch)" {
		t.Errorf("lease ls table starts with %q, want the cluster's layout", first)
	}
	for _, want := range append([]string{"WORKER", "NODE", "ADMIN", "LIVE", "HELD SINCE", "LEASE", "W AHEAD", "LAST REPORT",
		"3 used, 1019 free, 1 reserved of WorkerIds 1..1023"}, f.names...) {
		if !strings.Contains(table, want) {
			t.Errorf("lease ls table does not hold %q:\n%s", want, table)
		}
	}
	for _, n := range f.nodes {
		if live := tableLive(t, table, n.Status().WorkerID); live != "yes" {
			t.Errorf("lease ls table: WorkerId %d is LIVE %q, want yes", n.Status().WorkerID, live)
		}
	}
	t.Logf("lease ls on %s:\n%s", f.store.name, table)

	var y struct {
		Holders []map[string]any `yaml:"holders"`
		Summary summaryJSON      `yaml:"summary"`
		Layout  *layoutJSON      `yaml:"layout"`
	}
	if err := yaml.Unmarshal([]byte(f.mustCLI(t, "lease", "ls", "-o", "yaml")), &y); err != nil {
		t.Fatal(err)
	}
	if len(y.Holders) != fleetSize || y.Summary.Used != 3 || y.Summary.Range != "1..1023" || y.Layout == nil || *y.Layout != twitterLayout {
		t.Errorf("lease ls -o yaml: %+v", y)
	}
	for _, h := range y.Holders {
		for _, k := range holderKeys {
			if _, ok := h[k]; !ok {
				t.Errorf("lease ls -o yaml: holder %v has no %s", h, k)
			}
		}
	}
}

func testLeaseShow(t *testing.T, f *fleet) {
	n := f.nodes[1]
	wid := n.Status().WorkerID
	var doc showJSON
	eventually(t, 10*time.Second, "lease show gives a history", func() bool {
		doc = showJSON{}
		strictJSON(t, f.mustCLI(t, "lease", "show", strconv.FormatInt(wid, 10), "-o", "json"), &doc)
		return f.store.etcd == "" || len(doc.History) >= 5
	})
	f.checkLive(t, doc.Holder, 1, time.Now())
	if f.store.etcd != "" {
		// Newest first, one report per write of leaf_forever/node-1.
		if len(doc.History) > 20 {
			t.Errorf("history holds %d reports, want at most 20", len(doc.History))
		}
		if !slices.IsSortedFunc(doc.History, func(a, b reportJSON) int { return int(b.Timestamp - a.Timestamp) }) {
			t.Errorf("history is not newest first: %+v", doc.History)
		}
	} else if len(doc.History) != 1 {
		t.Errorf("ZooKeeper history holds %d reports, want the last one only", len(doc.History))
	}
	for _, r := range doc.History {
		if r.WorkerID != wid || r.Admin != f.admins[1].addr || r.Time.UnixMilli() != r.Timestamp {
			t.Errorf("history entry %+v, want WorkerId %d, admin %s", r, wid, f.admins[1].addr)
		}
	}
	if doc.History[0].Timestamp < doc.Holder.LastReport.Timestamp {
		t.Errorf("newest history entry %+v is older than the last report %+v", doc.History[0], *doc.Holder.LastReport)
	}

	var byNode showJSON
	strictJSON(t, f.mustCLI(t, "lease", "show", "node-1", "-o", "json"), &byNode)
	if byNode.Holder.WorkerID != wid || byNode.Holder.Node != "node-1" {
		t.Errorf("lease show node-1 gave %+v, want WorkerId %d", byNode.Holder, wid)
	}
	table := f.mustCLI(t, "lease", "show", "node-1")
	for _, want := range []string{"WorkerId:", "Node:", "node-1", "Live:", "yes", "ahead of this clock", "Clock reports of node-1"} {
		if !strings.Contains(table, want) {
			t.Errorf("lease show table does not hold %q:\n%s", want, table)
		}
	}
	t.Logf("lease show node-1 on %s:\n%s", f.store.name, table)

	if f.store.etcd != "" {
		testShowMovedNode(t, f)
	}

	_, stderr, code := f.cli(t, "lease", "show", "no-such-node")
	if code != 1 || !strings.Contains(stderr, "no such WorkerId or node") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("lease show no-such-node: exit %d, stderr %q", code, stderr)
	}
}

// testShowMovedNode shows a node whose last report names a WorkerId that
// another node holds now: it has no row in lease ls, but its history shows.
func testShowMovedNode(t *testing.T, f *fleet) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{f.store.etcd}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	wid := f.nodes[0].Status().WorkerID
	at := time.Now().Add(-time.Minute).UnixMilli()
	report := fmt.Sprintf(`{"timestamp":%d,"worker_id":%d,"admin":"10.0.0.9:7070"}`, at, wid)
	if _, err := cli.Put(context.Background(), etcd.Prefix(f.cluster)+"leaf_forever/gone", report); err != nil {
		t.Fatal(err)
	}
	var doc showJSON
	strictJSON(t, f.mustCLI(t, "lease", "show", "gone", "-o", "json"), &doc)
	h := doc.Holder
	if h.WorkerID != wid || h.Node != "gone" || h.Live || h.Admin != "10.0.0.9:7070" || h.LastReport == nil ||
		h.LastReport.Timestamp != at || len(doc.History) != 1 || doc.History[0].Timestamp != at {
		t.Errorf("lease show gone: %+v, want WorkerId %d not live, from its one report", doc, wid)
	}
	if h.LastReportAgeSeconds == nil || *h.LastReportAgeSeconds < 59 {
		t.Errorf("lease show gone: last report age %v, want a minute", h.LastReportAgeSeconds)
	}
}

func testLeaseRevoke(t *testing.T, f *fleet) {
	n := f.nodes[1]
	wid := n.Status().WorkerID
	ctx := context.Background()

	// Without --yes nothing happens.
	out := f.mustCLI(t, "lease", "revoke", strconv.FormatInt(wid, 10))
	want := "would revoke WorkerId " + strconv.FormatInt(wid, 10) + " held by node node-1 (admin " + f.admins[1].addr + "); run again with --yes\n"
	if out != want {
		t.Errorf("lease revoke without --yes printed %q, want %q", out, want)
	}
	var dry revokeJSON
	strictJSON(t, f.mustCLI(t, "lease", "revoke", strconv.FormatInt(wid, 10), "-o", "json"), &dry)
	if dry.Revoked || dry.WorkerID != wid || dry.Node != "node-1" || !strings.HasPrefix(dry.Message, "would revoke") {
		t.Errorf("lease revoke -o json without --yes: %+v", dry)
	}
	if _, err := n.NextID(ctx); err != nil {
		t.Fatalf("node-1 stopped after a revoke without --yes: %v", err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lease", "revoke", "500", "--yes"}, "WorkerId not held"},
		{[]string{"lease", "revoke", "500"}, "WorkerId not held"},
		{[]string{"lease", "revoke", "1024", "--yes"}, `bad WorkerId "1024": want a number from 0 to 1023`},
		{[]string{"lease", "revoke", "x"}, `bad WorkerId "x"`},
	} {
		_, stderr, code := f.cli(t, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("idcoord %s: exit %d, stderr %q, want one line with %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}

	// With --yes the holder stops issuing, then acquires again.
	before, err := n.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan time.Time, 1)
	last := make(chan int64, 1)
	go func() {
		id := before
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			next, err := n.NextID(ctx)
			if err != nil {
				stopped <- time.Now()
				last <- id
				return
			}
			id = next
			time.Sleep(100 * time.Microsecond) // pace the loop; the clock is real
		}
		close(stopped)
		last <- id
	}()
	start := time.Now()
	out, stderr, code := f.cli(t, "lease", "revoke", strconv.FormatInt(wid, 10), "--yes", "-o", "json")
	ran := time.Since(start)
	if code != 0 || stderr != "" {
		t.Fatalf("lease revoke --yes: exit %d, stderr %q", code, stderr)
	}
	var done revokeJSON
	strictJSON(t, out, &done)
	if !done.Revoked || done.WorkerID != wid || done.Node != "node-1" || !strings.HasPrefix(done.Message, "revoked WorkerId") {
		t.Errorf("lease revoke --yes -o json: %+v", done)
	}
	at, ok := <-stopped
	lastID := <-last
	if !ok {
		t.Fatal("node-1 kept issuing for 10s after its WorkerId was revoked")
	}
	stop := at.Sub(start)
	t.Logf("%s: revoke command ran %s; node-1 stopped issuing %s after the command started",
		f.store.name, ran.Round(time.Millisecond), stop.Round(time.Millisecond))
	if stop > time.Second {
		t.Errorf("node-1 stopped issuing %s after the revoke began, want within 1s", stop)
	}

	var again int64
	eventually(t, 20*time.Second, "node-1 issues again after the revoke", func() bool {
		again, err = n.NextID(ctx)
		return err == nil
	})
	t.Logf("%s: node-1 issued again %s after the revoke began, WorkerId %d (was %d)",
		f.store.name, time.Since(start).Round(time.Millisecond), n.Status().WorkerID, wid)
	if again <= lastID {
		t.Errorf("node-1's first ID after the revoke, %d, is not above its last before, %d", again, lastID)
	}
	doc := f.leaseList(t)
	f.checkLive(t, holderOf(t, doc, n.Status().WorkerID), 1, time.Now())
}

// testLeaseAfterClose closes node-2: its WorkerId is listed as held before.
func testLeaseAfterClose(t *testing.T, f *fleet) {
	n := f.nodes[2]
	wid := n.Status().WorkerID
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	doc := f.leaseList(t)
	h := holderOf(t, doc, wid)
	switch {
	case h.Live || h.Node != "node-2" || h.Admin != f.admins[2].addr:
		t.Errorf("row of a closed node: %+v, want not live, node-2, admin %s", h, f.admins[2].addr)
	case h.HeldSince != nil:
		t.Errorf("row of a closed node has held_since %v", *h.HeldSince)
	case h.HighWater == nil || h.HighWaterAheadSeconds == nil:
		t.Errorf("row of a closed node has no W: %+v", h)
	case h.LastReport == nil || h.LastReport.WorkerID != wid:
		t.Errorf("row of a closed node: last report %+v, want one under WorkerId %d", h.LastReport, wid)
	}
	f.checkLease(t, h)
	if live := tableLive(t, f.mustCLI(t, "lease", "ls"), wid); live != "no" {
		t.Errorf("lease ls table: the closed node's WorkerId %d is LIVE %q, want no", wid, live)
	}
	if want := (summaryJSON{Used: 2, Free: 1023 - 2 - 1, Reserved: 1, Range: "1..1023"}); doc.Summary != want {
		t.Errorf("summary after a close %+v, want %+v", doc.Summary, want)
	}
	_, stderr, code := f.cli(t, "lease", "revoke", strconv.FormatInt(wid, 10), "--yes")
	if code != 1 || !strings.Contains(stderr, "WorkerId not held") {
		t.Errorf("revoking a released WorkerId: exit %d, stderr %q", code, stderr)
	}
}

// tableLive returns the LIVE cell of WorkerId wid in a lease ls table.
func tableLive(t *testing.T, table string, wid int64) string {
	t.Helper()
	lines := strings.Split(table, "\n")
	if strings.HasPrefix(lines[0], "layout: ") {
		lines = lines[1:] // the cluster's layout, above the table
	}
	if header := strings.Fields(lines[0]); len(header) < 4 || header[3] != "LIVE" {
		t.Fatalf("lease ls table has no LIVE fourth column:\n%s", table)
	}
	for _, line := range lines[1:] {
		if f := strings.Fields(line); len(f) > 3 && f[0] == strconv.FormatInt(wid, 10) {
			return f[3]
		}
	}
	t.Fatalf("lease ls table has no row for WorkerId %d:\n%s", wid, table)
	return ""
}

// testLeaseOtherZKMode runs ls and show with the ZooKeeper mode the fleet
// does not use: W is still found, and one warning line says which mode the
// cluster's records are of.
func testLeaseOtherZKMode(t *testing.T, f *fleet) {
	if f.store.etcd != "" {
		return
	}
	mode, other := "sequential", "ephemeral"
	if f.store.name == "zk-ephemeral" {
		mode, other = other, mode
	}
	run := func(args ...string) (string, string, int) {
		return runCLI(t, append(append(args, f.store.args(f.cluster)...), "--zk.mode", other)...)
	}
	warning := fmt.Sprintf("warning: zk.mode is %s, but cluster %q in ZooKeeper [", other, f.cluster)
	out, stderr, code := run("lease", "ls", "-o", "json")
	if code != 0 || !strings.HasPrefix(stderr, warning) || !strings.Contains(stderr, "holds "+mode+"-mode records") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("lease ls --zk.mode %s on a %s cluster: exit %d, stderr %q; want 0 and one line %q...", other, mode, code, stderr, warning)
	}
	var doc lsJSON
	strictJSON(t, out, &doc)
	for _, n := range f.nodes {
		if h := holderOf(t, doc, n.Status().WorkerID); h.HighWater == nil || !h.Live {
			t.Errorf("lease ls --zk.mode %s: row %+v, want live with its W", other, h)
		}
	}
	out, stderr, code = run("lease", "show", "node-1")
	if code != 0 || !strings.HasPrefix(stderr, warning) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("lease show --zk.mode %s on a %s cluster: exit %d, stderr %q", other, mode, code, stderr)
	}
	if !strings.Contains(out, "ahead of this clock") {
		t.Errorf("lease show --zk.mode %s does not show W:\n%s", other, out)
	}
}

// testLeaseNoRecords points ls and show at a cluster the store has nothing
// of: one line naming the cluster and the store, exit 1, on every backend.
func testLeaseNoRecords(t *testing.T, f *fleet) {
	store := "ZooKeeper ["
	if f.store.etcd != "" {
		store = "etcd [" + f.store.etcd + "]"
	}
	for _, args := range [][]string{{"lease", "ls"}, {"lease", "ls", "-o", "json"}, {"lease", "show", "3"}, {"lease", "show", "node-1"}} {
		stdout, stderr, code := runCLI(t, append(args, f.store.args("no-such-cluster")...)...)
		want := `cluster "no-such-cluster" has no records in ` + store
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "idcoord: "+strings.Join(args[:2], " ")+": ") ||
			!strings.Contains(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("idcoord %s on an empty cluster: exit %d, stdout %q, stderr %q; want 1 and one line holding %q",
				strings.Join(args, " "), code, stdout, stderr, want)
		}
	}
}

// TestLeaseUnreachable: with coord embedded and nothing at etcd.endpoints,
// the lease commands fail with one line, after saying what they wait for if
// the client takes a while to give up, and start no etcd.
func TestLeaseUnreachable(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"lease", "ls", "--etcd.endpoints", "127.0.0.1:1", "--data-dir", dir}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if code != 1 || stdout.Len() != 0 || !strings.Contains(last, "store unreachable") || !strings.Contains(last, "is idcoord serve running") ||
		len(lines) > 2 || (len(lines) == 2 && lines[0] != "waiting for etcd [127.0.0.1:1] to answer...") {
		t.Fatalf("lease ls with nothing at etcd.endpoints: exit %d, stdout %q, stderr %q", code, &stdout, &stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("lease ls wrote %v into data-dir: it must not start an embedded etcd", entries)
	}
}

func TestPickHolding(t *testing.T) {
	report := func(ms int64) *coord.Report { return &coord.Report{Timestamp: ms} }
	rows := []coord.Holding{
		{WorkerID: 1, Node: "web-0", LastReport: report(100)},
		{WorkerID: 2, Node: "web-1", Live: true},
		{WorkerID: 3, Node: "web-0", LastReport: report(200)},
		{WorkerID: 4, Node: "web-1"},
		{WorkerID: 5, Node: "42"},
		{WorkerID: 6, Node: "old", HighWater: time.UnixMilli(1)},
		{WorkerID: 8, Node: "old", HighWater: time.UnixMilli(2)},
	}
	tests := []struct {
		arg  string
		want int64 // WorkerId, or -1 for none
	}{
		{"1", 1},
		{"4", 4},
		{"web-1", 2},  // the live row
		{"web-0", 3},  // the newest report
		{"old", 8},    // the highest W
		{"42", 5},     // no WorkerId 42: the node named 42
		{"9", -1},     // neither
		{"web-9", -1}, // unknown node
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			h, ok := pickHolding(rows, tt.arg)
			switch {
			case tt.want < 0 && ok:
				t.Fatalf("pickHolding(%q) = %+v, want none", tt.arg, h)
			case tt.want >= 0 && (!ok || h.WorkerID != tt.want):
				t.Fatalf("pickHolding(%q) = %+v, %v; want WorkerId %d", tt.arg, h, ok, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		args []string
		rows []coord.Holding
		want leaseSummary
	}{
		{"empty", nil, nil, leaseSummary{Free: 1023, Range: "1..1023"}},
		{"reserved 0 is outside the range", []string{"--worker.reserved", "0"},
			[]coord.Holding{{WorkerID: 1, Live: true}, {WorkerID: 2}},
			leaseSummary{Used: 1, Free: 1022, Range: "1..1023"}},
		{"reserved inside the range", []string{"--worker.reserved", "0,3,5"},
			[]coord.Holding{{WorkerID: 1, Live: true}},
			leaseSummary{Used: 1, Free: 1020, Reserved: 2, Range: "1..1023"}},
		{"a held reserved WorkerId counts as used", []string{"--worker.reserved", "0,3"},
			[]coord.Holding{{WorkerID: 3, Live: true}, {WorkerID: 0, Live: true}},
			leaseSummary{Used: 1, Free: 1022, Range: "1..1023"}},
		{"small layout", []string{"--layout.worker-bits", "2"},
			[]coord.Holding{{WorkerID: 1, Live: true}, {WorkerID: 3, Live: true}},
			leaseSummary{Used: 2, Free: 1, Range: "1..3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := settingsFor(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(s, tt.rows); got != tt.want {
				t.Fatalf("summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}
