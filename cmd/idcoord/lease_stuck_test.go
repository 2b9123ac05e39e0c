package main

import (
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord/coord/etcd"
)

// TestLeaseStuckAndBadRecords: a holder record written by hand under no
// lease (workers/3) and a W record that is not JSON (hw/4) each keep their
// WorkerId from every node. lease ls shows both, in the table and in JSON,
// and says what to do; lease revoke clears the stuck record, and only with
// --yes.
func TestLeaseStuckAndBadRecords(t *testing.T) {
	s := etcdStore(t)
	cluster := "stuck"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.etcd}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	prefix := etcd.Prefix(cluster)
	for key, value := range map[string]string{"workers/3": `{"node": "by-hand"}`, "hw/4": "not json"} {
		if _, err := cli.Put(ctx, prefix+key, value); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, append(args, s.args(cluster)...)...)
		if code != 0 {
			t.Fatalf("idcoord %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}

	out := run("lease", "ls", "-o", "json")
	var doc lsJSON
	strictJSON(t, out, &doc)
	wantKeys(t, out, "holders", holderKeys)
	if h := holderOf(t, doc, 3); !h.Stuck || !h.Live || h.Node != "by-hand" || h.BadRecord != nil {
		t.Errorf("row of WorkerId 3 %+v, want stuck, live, by-hand", h)
	}
	if h := holderOf(t, doc, 4); h.Stuck || h.BadRecord == nil || !strings.Contains(*h.BadRecord, "hw/4") {
		t.Errorf("row of WorkerId 4 %+v, want a bad_record naming hw/4", h)
	}
	if doc.Summary.Stuck != 1 || doc.Summary.Bad != 1 {
		t.Errorf("summary %+v, want 1 stuck and 1 bad", doc.Summary)
	}

	table := run("lease", "ls")
	for _, want := range []string{"STUCK WorkerId 3:", "idcoord lease revoke 3 --yes", "BAD RECORD WorkerId 4:", "hw/4"} {
		if !strings.Contains(table, want) {
			t.Errorf("lease ls does not say %q:\n%s", want, table)
		}
	}
	rows := map[string]string{}
	for line := range strings.Lines(table) {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = line
		}
	}
	if f := strings.Fields(rows["3"]); len(f) < 6 || f[5] != "STUCK" {
		t.Errorf("table row of WorkerId 3 %q does not say STUCK in the LEASE column", rows["3"])
	}
	if !strings.Contains(rows["4"], "BAD RECORD") {
		t.Errorf("table row of WorkerId 4 %q does not say BAD RECORD", rows["4"])
	}

	if show := run("lease", "show", "3"); !strings.Contains(show, "STUCK WorkerId 3:") {
		t.Errorf("lease show 3 does not say it is stuck:\n%s", show)
	}

	if out := run("lease", "revoke", "3"); !strings.Contains(out, "would clear the stuck holder record of WorkerId 3") {
		t.Errorf("lease revoke 3 without --yes: %q", out)
	}
	if resp, err := cli.Get(ctx, prefix+"workers/3"); err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("workers/3 gone without --yes: %v", err)
	}
	var rev revokeJSON
	strictJSON(t, run("lease", "revoke", "3", "--yes", "-o", "json"), &rev)
	if !rev.Revoked || !rev.Stuck || rev.Node != "by-hand" || !strings.Contains(rev.Message, "free again") {
		t.Errorf("lease revoke 3 --yes: %+v", rev)
	}
	if resp, err := cli.Get(ctx, prefix+"workers/3"); err != nil || len(resp.Kvs) != 0 {
		t.Fatalf("workers/3 still there after lease revoke 3 --yes: %v", err)
	}
}
