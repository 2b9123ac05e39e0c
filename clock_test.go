package idcoord_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// clockServer serves /clock from clock, as a node's admin listener does.
func clockServer(t *testing.T, clock clockguard.WallClock) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"unix_nano": %d}`, clock.Now().UnixNano())
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// manualMonotonic is a monotonic clock that follows c if c is a
// ManualClock (nil otherwise: the process's own). A node's waits (the claim
// floor, its history) move a ManualClock with AutoAdvance; a monotonic clock
// that stood still meanwhile would take that for an unconfirmed forward step
// and hold W back below the floor.
func manualMonotonic(c clockguard.WallClock) clockguard.Monotonic {
	m, ok := c.(*clockguard.ManualClock)
	if !ok {
		return nil
	}
	origin := m.Now()
	return func() time.Duration { return m.Now().Sub(origin) }
}

// clockNode is a node on etcd with a clock of the test's.
type clockNode struct {
	endpoint, cluster, name string
	clock                   clockguard.WallClock
	monotonic               clockguard.Monotonic // nil: manualMonotonic(clock)
	admin                   string               // "": a /clock server on clock
	layout                  snowflake.Layout
	largeRollback           idcoord.LargeRollback
	startupWait             time.Duration        // idcoord.Config.MaxStartupWait
	peerSample              int                  // idcoord.Config.PeerSample
	probe                   clockguard.PeerProbe // nil: HTTP
	log                     *zap.Logger          // nil: the test's
}

// startClockNode starts a node on o.clock that checks its peers' clocks
// every 300ms; a started node is closed when the test ends.
func startClockNode(t *testing.T, o clockNode) (*idcoord.Node, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testproc.Context(t), 20*time.Second)
	defer cancel()
	log := o.log
	if log == nil {
		log = coordtest.Logger(t, zap.InfoLevel).Named(o.name)
	}
	b, err := etcd.New(ctx, etcd.Config{Endpoints: []string{o.endpoint}, Cluster: o.cluster, TTL: 3 * time.Second,
		FenceMargin: 500 * time.Millisecond, Logger: log})
	if err != nil {
		return nil, err
	}
	if o.admin == "" {
		o.admin = clockServer(t, o.clock)
	}
	if o.monotonic == nil {
		o.monotonic = manualMonotonic(o.clock)
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: b, Node: o.name, Admin: o.admin, Clock: o.clock,
		Monotonic: o.monotonic, Layout: o.layout, Logger: log, LargeRollback: o.largeRollback,
		MaxStartupWait: o.startupWait, PeerCheckEvery: 300 * time.Millisecond, RefreshEvery: 200 * time.Millisecond,
		PeerSample: o.peerSample, PeerProbe: o.probe})
	if err == nil {
		t.Cleanup(func() { n.Close(context.Background()) })
	}
	return n, err
}

func TestStartRefusedWhenAheadOfPeers(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	base := clockNode{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), clock: clockguard.System{}}
	for _, name := range []string{"peer-a", "peer-b"} {
		o := base
		o.name = name
		if _, err := startClockNode(t, o); err != nil {
			t.Fatal(err)
		}
	}
	ahead := base
	ahead.name, ahead.clock = "ahead", offsetClock(5*time.Second)
	_, err := startClockNode(t, ahead)
	if !errors.Is(err, clockguard.ErrDrift) {
		t.Fatalf("Start 5s ahead of two peers = %v, want ErrDrift", err)
	}
	if !regexp.MustCompile(`(4\.9\d*|5(\.0\d*)?)s ahead of the median of 2 peers`).MatchString(err.Error()) {
		t.Fatalf("refusal %q does not give the offset and the peer count", err)
	}
	t.Logf("refusal: %v", err)
}

// offsetClock is the system clock shifted by d.
type offsetClock time.Duration

func (o offsetClock) Now() time.Time { return time.Now().Add(time.Duration(o)) }

// shiftClock is the system clock plus an offset that a test steps while the
// node runs, as an NTP step would; it moves with real time in between.
type shiftClock struct{ offset atomic.Int64 }

func (c *shiftClock) Now() time.Time       { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *shiftClock) Step(d time.Duration) { c.offset.Add(int64(d)) }

func TestRestartBehindHistory(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	clock := clockguard.NewManualClock(time.Now())
	clock.SetAutoAdvance(true)
	o := clockNode{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "api", clock: clock, layout: snowflake.Twitter()}
	ctx := context.Background()
	first, err := startClockNode(t, o)
	if err != nil {
		t.Fatal(err)
	}
	before, err := first.NextIDs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	clock.Backwards(30 * time.Second)
	_, err = startClockNode(t, o)
	if !errors.Is(err, idcoord.ErrClockBehind) {
		t.Fatalf("restart 30s behind = %v, want ErrClockBehind", err)
	}
	t.Logf("30s behind: %v", err)

	// Now 8s behind the history: further than the claim floor (Window +
	// 2×MaxDrift = 5s), so the wait is the history's. A negative
	// MaxStartupWait (clock.max-startup-wait 0) waits for none: refused.
	clock.Advance(22 * time.Second)
	none := o
	none.startupWait = -1
	if _, err := startClockNode(t, none); !errors.Is(err, idcoord.ErrClockBehind) {
		t.Fatalf("restart 8s behind with MaxStartupWait -1 = %v, want ErrClockBehind", err)
	}
	startedAt := clock.Now()
	again, err := startClockNode(t, o)
	if err != nil {
		t.Fatalf("restart 8s behind: %v", err)
	}
	if waited := clock.Now().Sub(startedAt); waited < 7900*time.Millisecond {
		t.Fatalf("restart 8s behind waited only %s on its clock", waited)
	}
	after, err := again.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before[len(before)-1] {
		t.Fatalf("after the restart id %d <= %d issued before", after, before[len(before)-1])
	}
}

// TestRollbackOf10s steps a running node's clock back 10s. With a free
// WorkerId it moves to it and keeps serving; with none it stops until the
// clock passes its last ID. Either way no ID repeats.
func TestRollbackOf10s(t *testing.T) {
	for _, tc := range []struct {
		name       string
		workerBits int
		wantFresh  bool
	}{{"fresh WorkerId", 3, true}, {"no free WorkerId", 1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := etcdtest.StartEmbedded(t)
			layout := snowflake.Twitter()
			layout.WorkerBits = tc.workerBits
			clock := &shiftClock{}
			n, err := startClockNode(t, clockNode{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "stepped", clock: clock, layout: layout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			seen := map[int64]bool{}
			draw := func() error {
				ids, err := n.NextIDs(ctx, 100)
				for _, id := range ids {
					if seen[id] {
						t.Fatalf("duplicate %d", id)
					}
					seen[id] = true
				}
				return err
			}
			for range 10 {
				if err := draw(); err != nil {
					t.Fatal(err)
				}
			}
			oldWorker := n.Status().WorkerID
			clock.Step(-10 * time.Second)
			if err := draw(); !errors.Is(err, idcoord.ErrNotReady) {
				t.Fatalf("draw right after a 10s rollback = %v, want ErrNotReady", err)
			}
			// The clock moves on in real time, so give up before it catches
			// up on its own (10s). A fresh WorkerId serves only after its
			// claim floor, Window + 2×MaxDrift (5s) past the clock.
			const give = 3*time.Second + idcoord.DefaultWindow + 2*idcoord.DefaultMaxDrift
			deadline := time.Now().Add(give)
			for draw() != nil {
				if time.Now().After(deadline) {
					if tc.wantFresh {
						t.Fatalf("no fresh WorkerId after %s: %v", give, n.Ready())
					}
					break
				}
				time.Sleep(20 * time.Millisecond) // real time, for the node's loop
			}
			status := n.Status()
			switch {
			case tc.wantFresh && status.WorkerID == oldWorker:
				t.Fatalf("still on WorkerId %d after the rollback", oldWorker)
			case !tc.wantFresh && n.Ready() == nil:
				t.Fatalf("ready while the clock is behind its last ID: %+v", status)
			}
			t.Logf("after the step: WorkerId %d (was %d), ready: %v, fresh WorkerIds: %d",
				status.WorkerID, oldWorker, n.Ready(), status.Clock.FreshWorkerIDs)
			if !tc.wantFresh {
				clock.Step(10 * time.Second) // a forward step: served again once confirmed
				testproc.Eventually(t, "serving after the clock passed the last ID", func() bool { return draw() == nil })
			}
			for range 10 {
				draw() //nolint:errcheck // only duplicates matter here
			}
			t.Logf("%d IDs, 0 duplicates", len(seen))
		})
	}
}

// TestForwardStepDoesNotReserveAhead steps a node's clock 1h forward while a
// peer keeps the true time; W must stay near the true time, the node not
// ready, until the clock steps back.
func TestForwardStepDoesNotReserveAhead(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	cluster := clusterOf(t)
	if _, err := startClockNode(t, clockNode{endpoint: srv.Endpoints()[0], cluster: cluster, name: "peer", clock: clockguard.System{}}); err != nil {
		t.Fatal(err)
	}
	clock := &shiftClock{}
	n, err := startClockNode(t, clockNode{endpoint: srv.Endpoints()[0], cluster: cluster, name: "jumper", clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := n.NextID(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Step(time.Hour)
	testproc.Eventually(t, "not ready after the forward step", func() bool { return n.Ready() != nil })
	time.Sleep(time.Second) // real time: several refresh periods of the node
	st := n.Status()
	if ahead := time.Until(st.HighWater); ahead > time.Minute {
		t.Fatalf("W reserved %s ahead of the true time after a 1h step", ahead.Round(time.Second))
	}
	if _, err := n.NextID(ctx); !errors.Is(err, idcoord.ErrNotReady) {
		t.Fatalf("NextID an hour ahead = %v, want ErrNotReady", err)
	}
	t.Logf("an hour ahead: W %s ahead of the true time; %v", time.Until(st.HighWater).Round(time.Millisecond), n.Ready())
	clock.Step(-time.Hour)
	testproc.Eventually(t, "ready after the step back", func() bool { return n.Ready() == nil })
	if _, err := n.NextID(ctx); err != nil {
		t.Fatal(err)
	}
}
