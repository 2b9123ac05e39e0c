package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestHistory(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	cli := rawClient(t, srv.Endpoints())
	ctx := context.Background()
	tests := []struct {
		name string
		// write puts the reports 1..n of node "n" (timestamp = i) as it
		// likes, through put.
		write func(t *testing.T, key string, put func(i int64) int64)
		want  []int64 // timestamps, newest first
	}{
		{name: "never reported", write: func(*testing.T, string, func(int64) int64) {}},
		{
			name:  "newest first",
			write: func(_ *testing.T, _ string, put func(int64) int64) { put(1); put(2); put(3) },
			want:  []int64{3, 2, 1},
		},
		{
			name: "at most HistoryDepth",
			write: func(_ *testing.T, _ string, put func(int64) int64) {
				for i := range int64(coord.HistoryDepth + 5) {
					put(i + 1)
				}
			},
			want: func() []int64 {
				var w []int64
				for i := int64(coord.HistoryDepth + 5); i > 5; i-- {
					w = append(w, i)
				}
				return w
			}(),
		},
		{
			name: "stops at the compacted revision",
			write: func(t *testing.T, _ string, put func(int64) int64) {
				put(1)
				put(2)
				rev := put(3)
				put(4)
				if _, err := cli.Compact(ctx, rev); err != nil {
					t.Fatal(err)
				}
			},
			want: []int64{4, 3},
		},
		{
			name: "starts where the key was created again",
			write: func(t *testing.T, key string, put func(int64) int64) {
				put(1)
				put(2)
				if _, err := cli.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
				put(3)
				put(4)
			},
			want: []int64{4, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cluster := clusterOf(t)
			key := etcd.Prefix(cluster) + "leaf_forever/n"
			tt.write(t, key, func(i int64) int64 {
				resp, err := cli.Put(ctx, key, fmt.Sprintf(`{"timestamp":%d,"worker_id":7,"admin":"h:1"}`, i))
				if err != nil {
					t.Fatal(err)
				}
				return resp.Header.Revision
			})
			b := newBackend(t, srv.Endpoints(), cluster)
			defer b.Close()
			got, err := b.History(ctx, "n")
			if err != nil {
				t.Fatal(err)
			}
			var stamps []int64
			for _, r := range got {
				if r.WorkerID != 7 || r.Admin != "h:1" {
					t.Fatalf("report %+v, want WorkerId 7 at h:1", r)
				}
				stamps = append(stamps, r.Timestamp)
			}
			if fmt.Sprint(stamps) != fmt.Sprint(tt.want) {
				t.Fatalf("History timestamps %v, want %v", stamps, tt.want)
			}
		})
	}
}

func TestInspectHoldingsAndRevoke(t *testing.T) {
	srv := etcdtest.StartBinary(t)
	cli := rawClient(t, srv.Endpoints())
	ctx := context.Background()
	cluster := clusterOf(t)
	// TTL 10s: the lease left is read as whole seconds, and a keepalive
	// late on a busy machine must not bring a 3s lease's reading to 0.
	const ttl = 10 * time.Second
	b := newBackendTTL(t, srv.Endpoints(), cluster, ttl)
	defer b.Close()
	l, err := b.Acquire(ctx, coord.Claim{Node: "a", Admin: "h:1", MaxWorkerID: 15, Reserved: []int64{0}, Sticky: 3})
	if err != nil {
		t.Fatal(err)
	}
	w := time.Now().Add(3 * time.Second)
	if err := l.Reserve(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := l.Report(ctx, coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: l.WorkerID(), Admin: "h:1"}); err != nil {
		t.Fatal(err)
	}
	// Records nobody can read are left out, but for a W, which keeps its
	// WorkerId from every node and is listed as Bad; a holder written by
	// hand, without a lease, is listed as Stuck and can be revoked.
	for key, val := range map[string]string{"workers/9": `{"node":"hand","admin":"h:9"}`, "hw/x": `{}`, "hw/8": `not json`, "leaf_forever/bad": `[`} {
		if _, err := cli.Put(ctx, etcd.Prefix(cluster)+key, val); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := b.Holdings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].WorkerID != l.WorkerID() || rows[1].WorkerID != 8 || rows[2].WorkerID != 9 {
		t.Fatalf("Holdings = %+v, want WorkerIds %d, 8 and 9", rows, l.WorkerID())
	}
	if bad := rows[1]; bad.Live || bad.Stuck || !strings.Contains(bad.Bad, "hw/8") || !bad.HighWater.IsZero() {
		t.Errorf("row of the bad W %+v, want not live, Bad naming hw/8, no W", bad)
	}
	rows = slices.Delete(rows, 1, 2)
	h := rows[0]
	switch {
	case !h.Live || h.Node != "a" || h.Admin != "h:1" || h.Session != "":
		t.Errorf("held row %+v", h)
	case h.LeaseLeft <= 0 || h.LeaseLeft > ttl:
		t.Errorf("lease left %s, want 0..%s (the TTL)", h.LeaseLeft, ttl)
	case h.HighWater.UnixMilli() != w.UnixMilli():
		t.Errorf("W %v, want %v", h.HighWater, w)
	case h.LastReport == nil || h.LastReport.WorkerID != l.WorkerID():
		t.Errorf("last report %+v", h.LastReport)
	}
	if hand := rows[1]; !hand.Live || !hand.Stuck || hand.Node != "hand" || hand.LeaseLeft != 0 {
		t.Errorf("hand-written row %+v, want live, stuck, node hand, no lease", hand)
	}
	if rows[0].Stuck || rows[0].Bad != "" {
		t.Errorf("held row %+v is marked stuck or bad", rows[0])
	}

	for _, c := range []struct {
		wid     int64
		holder  string
		wantErr error
	}{
		{l.WorkerID(), "a", nil},
		{l.WorkerID(), "", coord.ErrNotHeld},
		{9, "hand", nil},
		{9, "", coord.ErrNotHeld},
		{12, "", coord.ErrNotHeld},
	} {
		holder, err := b.Revoke(ctx, c.wid)
		if holder != c.holder || !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
			t.Fatalf("Revoke(%d) = %q, %v; want %q, %v", c.wid, holder, err, c.holder, c.wantErr)
		}
	}
	select {
	case <-l.Done():
	case <-testproc.Context(t).Done():
		t.Fatal("the lease is still not Done after its WorkerId was revoked")
	}
	if !errors.Is(l.Err(), coord.ErrFenced) {
		t.Fatalf("revoked lease's Err = %v, want ErrFenced", l.Err())
	}
	if peers, err := b.Peers(ctx); err != nil || len(peers) != 0 {
		t.Fatalf("Peers after the revoke = %v, %v; want none (the peer record is under the revoked lease)", peers, err)
	}
}
