package idcoord_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// trueTime is the true time of a test: a manual clock that moves only when
// told (or when the code under test sleeps on it), and the monotonic clock
// that follows it. Wall clocks made from it may be stepped away from it, as
// NTP or an operator would step a machine's clock.
type trueTime struct {
	*clockguard.ManualClock
	origin time.Time
}

func newTrueTime() *trueTime {
	now := time.Now()
	c := clockguard.NewManualClock(now)
	c.SetAutoAdvance(true) // a sleep moves true time, and every clock with it
	return &trueTime{ManualClock: c, origin: now}
}

// Monotonic reads true time as a monotonic clock.
func (tt *trueTime) Monotonic() time.Duration { return tt.Now().Sub(tt.origin) }

// wall returns a wall clock that reads true time until it is stepped.
func (tt *trueTime) wall() *steppedWall { return &steppedWall{tt: tt} }

// steppedWall is true time plus the steps made to it.
type steppedWall struct {
	tt     *trueTime
	offset atomic.Int64
}

func (w *steppedWall) Now() time.Time       { return w.tt.Now().Add(time.Duration(w.offset.Load())) }
func (w *steppedWall) Step(d time.Duration) { w.offset.Add(int64(d)) }

// Sleep sleeps on true time: waiting moves every clock alike.
func (w *steppedWall) Sleep(ctx context.Context, d time.Duration) error { return w.tt.Sleep(ctx, d) }

type steppedNode struct {
	endpoint, cluster, name string
	tt                      *trueTime
	clock                   *steppedWall
	layout                  snowflake.Layout
	largeRollback           idcoord.LargeRollback
}

// startSteppedNode starts a node on o.clock, with no peer that answers
// /clock (its own admin address is itself, which the peer check skips).
func startSteppedNode(t *testing.T, o steppedNode) (*idcoord.Node, error) {
	t.Helper()
	return startClockNode(t, clockNode{endpoint: o.endpoint, cluster: o.cluster, name: o.name, clock: o.clock,
		monotonic: o.tt.Monotonic, layout: o.layout, largeRollback: o.largeRollback})
}

// storedHighWater reads W of wid as the store holds it.
func storedHighWater(t *testing.T, endpoints []string, cluster string, wid int64) time.Time {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	resp, err := cli.Get(testproc.Context(t), etcd.Prefix(cluster)+"hw/"+strconv.FormatInt(wid, 10))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("reading hw/%d: %v (%d keys)", wid, err, len(resp.Kvs))
	}
	var hw etcd.HighWater
	if err := json.Unmarshal(resp.Kvs[0].Value, &hw); err != nil {
		t.Fatal(err)
	}
	return hw.Time()
}

// TestLoneForwardStepDoesNotReserveAhead steps the clock of a node that has
// no peer to ask an hour forward. Nothing confirms the new time, so W stays
// within a window of what the monotonic clock vouches for, and the node is
// not ready. After it stops, a node with the true clock takes the WorkerId
// without refusing and issues above everything the first one issued.
func TestLoneForwardStepDoesNotReserveAhead(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	cluster := clusterOf(t)
	one := snowflake.Twitter()
	one.WorkerBits = 1 // only WorkerId 1
	tt := newTrueTime()
	jumper := tt.wall()
	n, err := startSteppedNode(t, steppedNode{endpoint: srv.Endpoints()[0], cluster: cluster, name: "jumper", tt: tt, clock: jumper, layout: one})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testproc.Context(t)
	before, err := n.NextIDs(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	jumper.Step(time.Hour)
	stepped := tt.Now()
	// True time moves on; wait until the node has raised W for a true time
	// that only came after the step (it raises W on every refresh).
	testproc.Eventually(t, "W raised after the step", func() bool {
		tt.Advance(50 * time.Millisecond)
		return n.Status().HighWater.After(stepped.Add(idcoord.DefaultWindow + 500*time.Millisecond))
	})
	tt.Advance(time.Second)
	testproc.Eventually(t, "a forward step seen", func() bool { return n.Status().Clock.StepsForward > 0 })
	if w, limit := n.Status().HighWater, tt.Now().Add(idcoord.DefaultWindow); w.After(limit) {
		t.Fatalf("W %s is %s past a window from the true time %s after an unconfirmed 1h step",
			w.Format(time.RFC3339Nano), w.Sub(limit).Round(time.Millisecond), tt.Now().Format(time.RFC3339Nano))
	}
	if _, err := n.NextID(ctx); !errors.Is(err, idcoord.ErrNotReady) {
		t.Fatalf("NextID an hour ahead with no peer to confirm it = %v, want ErrNotReady", err)
	}
	var nr *idcoord.NotReadyError
	if err := n.Ready(); !errors.As(err, &nr) || nr.Reason != idcoord.ReasonClockAhead {
		t.Fatalf("Ready an hour ahead = %v, want %s", err, idcoord.ReasonClockAhead)
	}
	t.Logf("an hour ahead, no peer: %v", n.Ready())
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w, limit := storedHighWater(t, srv.Endpoints(), cluster, 1), tt.Now().Add(idcoord.DefaultWindow); w.After(limit) {
		t.Fatalf("stored W %s is %s past a window from the true time", w.Format(time.RFC3339Nano), w.Sub(limit).Round(time.Millisecond))
	}

	next, err := startSteppedNode(t, steppedNode{endpoint: srv.Endpoints()[0], cluster: cluster, name: "true", tt: tt, clock: tt.wall(), layout: one})
	if err != nil {
		t.Fatalf("a node with the true clock after the stepped one: %v", err)
	}
	id, err := next.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id <= before[len(before)-1] {
		t.Fatalf("next holder's first ID %d is not above the stepped node's last %d", id, before[len(before)-1])
	}
}

// TestLargeRollbackPolicy steps a running node's clock back 10s, with free
// WorkerIds to move to. With clock.large-rollback wait it keeps its
// WorkerId, is not ready until the clock passes its last ID, and then
// issues above it. With new-worker it moves to a fresh WorkerId and serves
// at once, and its next IDs are below its last (unique, not increasing).
func TestLargeRollbackPolicy(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	layout := snowflake.Twitter()
	layout.WorkerBits = 3
	for _, tc := range []struct {
		policy     idcoord.LargeRollback
		wantSwitch bool
	}{{idcoord.LargeRollbackWait, false}, {idcoord.LargeRollbackNewWorker, true}} {
		t.Run(string(tc.policy), func(t *testing.T) {
			ctx := testproc.Context(t)
			tt := newTrueTime()
			clock := tt.wall()
			n, err := startSteppedNode(t, steppedNode{endpoint: srv.Endpoints()[0], cluster: clusterOf(t), name: "stepped",
				tt: tt, clock: clock, layout: layout, largeRollback: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			before, err := n.NextIDs(ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			last, wid := before[len(before)-1], n.Status().WorkerID
			clock.Step(-10 * time.Second)
			if _, err := n.NextID(ctx); !errors.Is(err, idcoord.ErrNotReady) {
				t.Fatalf("NextID right after a 10s rollback = %v, want ErrNotReady", err)
			}

			if tc.wantSwitch {
				var id int64
				testproc.Eventually(t, "serving from a fresh WorkerId", func() bool {
					id, err = n.NextID(ctx)
					return err == nil
				})
				if got := n.Status().WorkerID; got == wid {
					t.Fatalf("still on WorkerId %d after the rollback", wid)
				}
				if id >= last {
					t.Fatalf("first ID %d after the switch is not below the last %d: new-worker no longer behaves as documented", id, last)
				}
				t.Logf("new-worker: WorkerId %d -> %d; first ID %d below the last %d, as documented", wid, n.Status().WorkerID, id, last)
				return
			}

			// The serving loop handles one event at a time: a peer check
			// that ends after the rollback was counted comes after its
			// handling is done.
			testproc.Eventually(t, "the rollback handled", func() bool { return n.Status().Clock.Rollbacks > 0 })
			handled := time.Now()
			testproc.Eventually(t, "the serving loop past the rollback", func() bool { return n.Status().Clock.LastPeerCheck.After(handled) })
			st := n.Status()
			if st.WorkerID != wid || st.Clock.FreshWorkerIDs != 0 {
				t.Fatalf("wait: WorkerId %d (was %d), %d fresh WorkerIds after the rollback", st.WorkerID, wid, st.Clock.FreshWorkerIDs)
			}
			var nr *idcoord.NotReadyError
			if err := n.Ready(); !errors.As(err, &nr) || nr.Reason != idcoord.ReasonClockBehind {
				t.Fatalf("Ready 10s behind the last ID = %v, want %s", err, idcoord.ReasonClockBehind)
			}
			t.Logf("wait, 10s behind: %v", n.Ready())
			tt.Advance(11 * time.Second) // true time passes the last ID
			var id int64
			testproc.Eventually(t, "serving once the clock passed the last ID", func() bool {
				id, err = n.NextID(ctx)
				return err == nil
			})
			if got := n.Status().WorkerID; got != wid {
				t.Fatalf("wait: serving from WorkerId %d, was %d", got, wid)
			}
			if id <= last {
				t.Fatalf("wait: first ID %d after recovering is not above the last %d", id, last)
			}
		})
	}
}

func TestLargeRollbackValidate(t *testing.T) {
	for _, ok := range []idcoord.LargeRollback{"", idcoord.LargeRollbackNewWorker, idcoord.LargeRollbackWait} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	var b *etcd.Backend // Validate never calls it
	err := idcoord.Config{Backend: b, LargeRollback: "sometimes"}.Validate()
	if !errors.Is(err, idcoord.ErrLargeRollback) {
		t.Fatalf("Validate with large-rollback %q = %v, want ErrLargeRollback", "sometimes", err)
	}
	for _, want := range []string{`"sometimes"`, `"new-worker"`, `"wait"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
