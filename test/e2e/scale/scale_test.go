package scale

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

const (
	// cluster is the namespace the fleet uses in its store.
	cluster = "scale"
	// readyEvery is how often the window counts the ready nodes.
	readyEvery = 2 * time.Second
)

// TestLongFleetScaleEtcd runs the fleet on one etcd server (the etcd
// binary, a process of its own, so its CPU time can be read).
func TestLongFleetScaleEtcd(t *testing.T) {
	s := longSettings(t)
	runScale(t, &etcdStore{srv: etcdtest.StartBinary(t), cluster: cluster}, s)
}

// TestLongFleetScaleZooKeeper runs the fleet on one ZooKeeper server, the
// nodes in ephemeral mode. ZooKeeper allows 60 connections per client
// address by default; every node here connects from 127.0.0.1, so the
// server has no such limit. Its heap is 1 GiB, a production-like size,
// so that the CPU measured is not a small test heap's garbage collection.
func TestLongFleetScaleZooKeeper(t *testing.T) {
	s := longSettings(t)
	srv := zktest.StartWith(t, zktest.Options{MaxClientCnxns: -1, JVMFlags: []string{"-Xmx1g"}})
	runScale(t, &zkStore{srv: srv, cluster: cluster}, s)
}

// longSettings skips the test unless the long tests are asked for, and
// reads the run's shape.
func longSettings(t *testing.T) settings {
	if !longRun() {
		t.Skipf("set %s=1 to run the fleet scale test (make e2e)", longEnv)
	}
	s, err := readSettings(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runScale starts the fleet in one storm, checks that every node holds a
// WorkerId of its own, measures the store and the peer probes over the
// window, and reports.
func runScale(t *testing.T, st store, s settings) {
	ctx := testproc.Context(t)
	f := newFleet(t, s.nodes)
	if capacity := f.layout.MaxWorkerID(); int64(s.nodes) > capacity {
		t.Fatalf("%d nodes do not fit the twitter layout's %d WorkerIds (1..%d; 0 is reserved)", s.nodes, capacity, capacity)
	}
	warn := newWarnings()
	res := result{store: st, nodes: s.nodes, loadBefore: loadAverage()}

	beforeStorm := mustSample(ctx, t, st)
	probesBefore := f.probes()
	t.Logf("starting %d nodes at once on %s", s.nodes, st.name())
	began := f.storm(ctx, st, warn.logger())
	res.storm = stormOf(f, beforeStorm, mustSample(ctx, t, st), f.probes()-probesBefore)
	failed, reasons := f.startErrors(5)
	shared, holding := sharedWorkerIDs(f.statuses(), false)
	res.storm.holding = holding
	if failed > 0 || len(shared) > 0 || holding != s.nodes {
		res.warnings = warn.top(5, nil)
		t.Log("\n" + res.render())
		t.Fatalf("fleet-start storm: %d of %d nodes failed to start (%v); %d hold a WorkerId; WorkerIds held by more than one node: %v",
			failed, s.nodes, reasons, holding, shared)
	}
	t.Logf("storm: %d nodes ready, the last after %v; measuring %v from %v on", s.nodes, res.storm.last.Round(time.Millisecond), s.window, settle)

	sleep(ctx, t, settle)
	res.stormWarnings = warn.top(5, nil)
	warnedBefore := warn.counts()
	a, probesA, selfA := mustSample(ctx, t, st), f.probes(), mustCPU(t, os.Getpid())
	res.readyCounts = f.readyDuring(ctx, t, s.window, readyEvery, began)
	b, probesB, selfB := mustSample(ctx, t, st), f.probes(), mustCPU(t, os.Getpid())
	res.window = between(a, b)
	res.probes = float64(probesB-probesA) / res.window.seconds
	res.fleetCPU = (selfB - selfA).Seconds() / res.window.seconds

	statuses := f.statuses()
	sharedReady, _ := sharedWorkerIDs(statuses, true)
	for _, st := range statuses {
		if st.Ready {
			res.readyAtEnd++
		}
	}
	res.loadAfter, res.warnings = loadAverage(), warn.top(5, warnedBefore)
	report := res.render()
	t.Log("\n" + report)
	appendReport(t, report)
	if len(sharedReady) > 0 {
		t.Errorf("at the end of the window, ready nodes share WorkerIds: %v", sharedReady)
	}
}

// sampleTries bounds the tries at reading a store's counters: a store
// that a thousand nodes keep busy may not take the connection at once.
const sampleTries = 20

func mustSample(ctx context.Context, t *testing.T, st store) storeSample {
	var err error
	for try := 1; try <= sampleTries; try++ {
		var s storeSample
		if s, err = st.sample(ctx); err == nil {
			return s
		}
		t.Logf("reading the counters of %s (try %d of %d): %v", st.name(), try, sampleTries, err)
		sleep(ctx, t, time.Second)
	}
	t.Fatalf("reading the counters of %s: %v", st.name(), err)
	return storeSample{}
}

func mustCPU(t *testing.T, pid int) time.Duration {
	d, err := processCPU(pid)
	if err != nil {
		t.Fatalf("CPU time of PID %d: %v", pid, err)
	}
	return d
}

// sleep waits d, or fails the test when ctx ends first.
func sleep(ctx context.Context, t *testing.T, d time.Duration) {
	select {
	case <-ctx.Done():
		t.Fatalf("out of time while waiting %v: %v", d, ctx.Err())
	case <-time.After(d):
	}
}

// appendReport appends the report to the file IDCOORD_E2E_REPORT names, if
// it is set.
func appendReport(t *testing.T, report string) {
	path := os.Getenv(reportEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = f.WriteString(report + "\n")
		err = joinClose(err, f)
	}
	if err != nil {
		t.Errorf("appending the report to %s: %v", path, err)
		return
	}
	t.Logf("report appended to %s", path)
}

func joinClose(err error, f *os.File) error {
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
