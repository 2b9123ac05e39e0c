package zkcoord_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/clockguard"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
	"github.com/idcoord/idcoord/snowflake"
	"github.com/idcoord/idcoord/testsupport/zktest"
)

// TestNodeLeafTree takes over a tree that Meituan Leaf wrote, whose stored
// timestamp for this node's ip:port is ahead of the node's clock: an hour
// ahead the node refuses to start and leaves the tree as it was; 2s ahead it
// waits that out and serves with the WorkerId Leaf gave the ip:port.
func TestNodeLeafTree(t *testing.T) {
	noLeaks(t)
	srv := zktest.StartWith(t, zktest.Options{TickTime: 200 * time.Millisecond})
	conn := zktest.Dial(t, srv.Addr(), zkSession)
	layout, err := snowflake.Preset("leaf")
	if err != nil {
		t.Fatal(err)
	}
	const identity = "10.0.0.6:8080"
	for _, tc := range []struct {
		name  string
		leaf  string
		ahead time.Duration
		ok    bool
	}{
		{"an hour ahead", "leaf-far", time.Hour, false},
		// Further ahead than the claim floor (5s): the wait is Leaf's.
		{"8s ahead", "leaf-near", 8 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := clockguard.NewManualClock(time.Now())
			clock.SetAutoAdvance(true)
			stored := clock.Now().Add(tc.ahead).UnixMilli()
			paths := zkcoord.CreateLeafTree(t, conn, tc.leaf, []zkcoord.LeafEndpoint{
				{IP: "10.0.0.4", Port: "8080", Timestamp: stored - 60_000},
				{IP: "10.0.0.5", Port: "8080", Timestamp: stored - 30_000},
				{IP: "10.0.0.6", Port: "8080", Timestamp: stored},
			})
			mine := paths[2]
			const wid = 2 // the sequence number Leaf gave the third ip:port
			if !strings.HasSuffix(mine, fmt.Sprintf("%s-%010d", identity, wid)) {
				t.Fatalf("Leaf tree node %s, want sequence %d", mine, wid)
			}
			original, _, err := conn.Get(mine)
			if err != nil {
				t.Fatal(err)
			}
			o := zkNode{addr: srv.Addr(), cluster: clusterOf(t), name: "migrated", mode: zkcoord.ModeSequential,
				identity: identity, leafName: tc.leaf, layout: layout, clock: clock}
			started := clock.Now()
			n, err := startZKNode(t, o)
			if !tc.ok {
				if !errors.Is(err, idcoord.ErrClockBehind) {
					t.Fatalf("start %s behind Leaf's timestamp = %v, want ErrClockBehind", tc.ahead, err)
				}
				t.Logf("refusal: %v", err)
				data, _, err := conn.Get(mine)
				if err != nil {
					t.Fatal(err)
				}
				if string(data) != string(original) {
					t.Fatalf("the refused node changed %s from %s to %s", mine, original, data)
				}
				return
			}
			if err != nil {
				t.Fatalf("start %s behind Leaf's timestamp: %v", tc.ahead, err)
			}
			if waited := clock.Now().Sub(started); waited < tc.ahead {
				t.Fatalf("started after %v on its clock, before passing Leaf's timestamp %v ahead", waited, tc.ahead)
			}
			ids, err := n.NextIDs(context.Background(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{ids[0], ids[len(ids)-1]} {
				p, err := layout.Decompose(id)
				if err != nil {
					t.Fatal(err)
				}
				if p.WorkerID != wid || p.Time.UnixMilli() <= stored {
					t.Fatalf("ID %d has WorkerId %d at %v; want Leaf's %d, after the stored %v",
						id, p.WorkerID, p.Time, wid, time.UnixMilli(stored).UTC())
				}
			}
			if got := n.Status().WorkerID; got != wid {
				t.Fatalf("status WorkerId %d, want %d", got, wid)
			}
			data, _, err := conn.Get(mine)
			if err != nil {
				t.Fatal(err)
			}
			if prefix := `{"ip":"10.0.0.6","port":"8080","timestamp":`; !strings.HasPrefix(string(data), prefix) {
				t.Fatalf("%s holds %s after the takeover, not Leaf's format", mine, data)
			}
		})
	}
}
