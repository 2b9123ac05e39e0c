package scale

import (
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		bad        bool
	}{
		{"plain", "4242 (etcd) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 12", 2 * time.Second, false},
		{"name with spaces and parentheses", "7 (a) b (c) R 1 2 3 4 5 6 7 8 9 10 1 2 0", 30 * time.Millisecond, false},
		{"short", "7 (java) S 1 2 3", 0, true},
		{"no name", "7 java S 1 2 3 4 5 6 7 8 9 10 1 2 0", 0, true},
		{"not a number", "7 (java) S 1 2 3 4 5 6 7 8 9 10 x 2 0", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tc.stat))
			if (err != nil) != tc.bad || got != tc.want {
				t.Errorf("parseStatCPU(%q) = %v, %v; want %v, error %v", tc.stat, got, err, tc.want, tc.bad)
			}
		})
	}
}

const etcdExposition = `# HELP etcd_debugging_mvcc_current_revision The current revision of store.
# TYPE etcd_debugging_mvcc_current_revision gauge
etcd_debugging_mvcc_current_revision 1234
etcd_server_version{server_version="3.4.23"} 1
grpc_server_msg_received_total{grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} 10
grpc_server_msg_received_total{grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 5 1700000000000
grpc_server_msg_received_total{grpc_method="LeaseKeepAlive",grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"} 2.5e+01
go_gc_duration_seconds{quantile="0.5"} NaN
etcd_debugging_snap_save_total_duration_seconds_count 2
`

func TestEtcdSample(t *testing.T) {
	all, err := parseExposition(etcdExposition)
	if err != nil {
		t.Fatal(err)
	}
	var version string
	s, err := etcdSample(time.Now(), time.Second, all, &version)
	if err != nil {
		t.Fatal(err)
	}
	if s.writes != 1234 || s.requests != 40 || s.kinds["Txn"] != 5 || s.kinds["LeaseKeepAlive"] != 25 || version != "3.4.23" || s.gauges["raft snapshots saved since start"] != 2 {
		t.Errorf("got writes %v, requests %v, kinds %v, version %q", s.writes, s.requests, s.kinds, version)
	}
	if _, err := etcdSample(time.Now(), 0, all[3:], &version); err == nil {
		t.Error("a sample without the revision was accepted")
	}
}

func TestParseExpositionRejects(t *testing.T) {
	for _, text := range []string{"novalue", `x{a="b" 1`, "x notanumber", `{a="b"} 1`} {
		if _, err := parseExposition(text); err == nil {
			t.Errorf("parseExposition(%q) accepted it", text)
		}
	}
}

func TestZKSample(t *testing.T) {
	figures := map[string]string{"zk_version": "3.8.0-abc, built on 2024-12-29"}
	for _, names := range zkCounters {
		for _, n := range names {
			figures[n] = "3"
		}
	}
	for _, n := range zkGauges {
		figures[n] = "7"
	}
	s, err := zkSample(time.Now(), 0, figures)
	if err != nil {
		t.Fatal(err)
	}
	if s.writes != 3 || s.requests != 3 || s.kinds["getChildren"] != 6 || s.gauges["znodes"] != 7 {
		t.Errorf("got writes %v, requests %v, kinds %v, gauges %v", s.writes, s.requests, s.kinds, s.gauges)
	}
	if v := zkVersion(figures["zk_version"]); v != "3.8.0" {
		t.Errorf("zkVersion = %q", v)
	}
	delete(figures, "zk_cnt_updatelatency")
	if _, err := zkSample(time.Now(), 0, figures); err == nil || !strings.Contains(err.Error(), "zk_cnt_updatelatency") {
		t.Errorf("a missing figure gave %v, want an error naming it", err)
	}
}

func TestReadSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name string
		env  func(string) string
		want settings
		bad  bool
	}{
		{"defaults", env(), settings{defaultNodes, defaultWindow}, false},
		{"short run", env(nodesEnv, "100", windowEnv, "20s"), settings{100, 20 * time.Second}, false},
		{"one node", env(nodesEnv, "1"), settings{}, true},
		{"not a number", env(nodesEnv, "many"), settings{}, true},
		{"window too short", env(windowEnv, "10ms"), settings{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readSettings(tc.env)
			if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
				t.Errorf("readSettings = %+v, %v; want %+v, error %v", got, err, tc.want, tc.bad)
			}
		})
	}
}

func TestSharedWorkerIDs(t *testing.T) {
	statuses := []idcoord.Status{
		{Node: "a", WorkerID: 1, Ready: true},
		{Node: "b", WorkerID: 1, Ready: false},
		{Node: "c", WorkerID: 2, Ready: true},
		{Node: "d", WorkerID: -1},
	}
	if shared, holding := sharedWorkerIDs(statuses, false); len(shared) != 1 || holding != 3 {
		t.Errorf("all nodes: shared %v, holding %d; want WorkerId 1 shared, 3 holding", shared, holding)
	}
	if shared, holding := sharedWorkerIDs(statuses, true); len(shared) != 0 || holding != 2 {
		t.Errorf("ready nodes: shared %v, holding %d; want none shared, 2 holding", shared, holding)
	}
}

func TestGroupAndRoundDown(t *testing.T) {
	for _, tc := range []struct {
		v        float64
		decimals int
		want     string
	}{{1234567.891, 2, "1,234,567.89"}, {999, 0, "999"}, {1000, 0, "1,000"}, {-34844, 0, "-34,844"}, {0.4, 2, "0.40"}} {
		if got := group(tc.v, tc.decimals); got != tc.want {
			t.Errorf("group(%v, %d) = %q, want %q", tc.v, tc.decimals, got, tc.want)
		}
	}
	if got := roundDown(3687.2); got != 3600 {
		t.Errorf("roundDown(3687.2) = %v, want 3600", got)
	}
}
