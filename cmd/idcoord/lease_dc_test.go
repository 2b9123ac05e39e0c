package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/snowflake"
)

// TestLeaseListDatacenter: lease ls of a cluster of datacenter 3 shows the
// datacenter in the layout (JSON and the line above the table) and in the
// summary, and warns when datacenter.id names another one.
func TestLeaseListDatacenter(t *testing.T) {
	s := etcdStore(t)
	f := &fleet{store: s, cluster: strings.ReplaceAll(t.Name(), "/", "_"), started: time.Now()}
	l, err := snowflake.Preset("twitter-dc")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	b, err := s.backend(t, ctx, f.cluster, log)
	if err != nil {
		t.Fatal(err)
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: "node-1", Admin: newAdminClock(t).addr, Layout: l, DatacenterID: 3,
		Reserved: fleetReserved, StartTimeout: 10 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })

	dc3 := []string{"--layout.preset", "twitter-dc", "--datacenter.id", "3"}
	var doc lsJSON
	strictJSON(t, f.mustCLI(t, append([]string{"lease", "ls", "-o", "json"}, dc3...)...), &doc)
	if doc.Layout == nil || doc.Layout.DatacenterBits != 5 || doc.Layout.DatacenterID != 3 || doc.Layout.WorkerBits != 5 {
		t.Errorf("layout %+v, want 5 worker bits and datacenter 3 of 5 bits", doc.Layout)
	}
	if want := (summaryJSON{Used: 1, Free: 31 - 1 - 1, Reserved: 1, Range: "1..31"}); doc.Summary != want {
		t.Errorf("summary %+v, want %+v", doc.Summary, want)
	}
	if h := holderOf(t, doc, n.Status().WorkerID); !h.Live || h.Node != "node-1" {
		t.Errorf("holder %+v", h)
	}

	table := strings.Split(strings.TrimSuffix(f.mustCLI(t, append([]string{"lease", "ls"}, dc3...)...), "\n"), "\n")
	if want := "layout: 41/5/12 @1ms epoch 2010-11-04T01:42:54.657Z, datacenter 3 of 5 bits (time/worker/sequence bits, tick, epoch; " +
		"the WorkerIds below are datacenter 3's)"; table[0] != want {
		t.Errorf("lease ls starts with %q, want %q", table[0], want)
	}
	if last := table[len(table)-1]; last != "1 used, 29 free, 1 reserved of WorkerIds 1..31 in datacenter 3" {
		t.Errorf("lease ls ends with %q", last)
	}

	stdout, stderr, code := f.cli(t, "lease", "ls", "--layout.preset", "twitter-dc", "--datacenter.id", "2")
	if code != 0 || !strings.Contains(stdout, "datacenter 3 of 5 bits") {
		t.Fatalf("lease ls with datacenter.id 2: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, says := range []string{`cluster "` + f.cluster + `" is datacenter 3 of 5 bits`, "datacenter.id and layout.datacenter-bits say 2 of 5 bits",
		"another region"} {
		if !strings.Contains(stderr, says) {
			t.Errorf("warning %q does not say %q", stderr, says)
		}
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("warning %q is not one line", stderr)
	}
}
