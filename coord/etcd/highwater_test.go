package etcd_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	"github.com/idcoord/idcoord/testsupport/etcdtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// TestImpossibleHighWaterRefused writes W by hand into hw/1, the only
// WorkerId a claim may take, and claims it. A W no holder can have written
// (negative, or past every layout's lifetime) is a bad record: the claim is
// refused and names the record, rather than taken as a floor far in the past
// under which the next holder would repeat the last holder's IDs.
func TestImpossibleHighWaterRefused(t *testing.T) {
	srv := etcdtest.StartEmbedded(t)
	now := time.Now().UnixMilli()
	for _, tc := range []struct {
		name string
		w    int64
		want string // in the refusal; empty: the claim succeeds with W
	}{
		{"negative", -5, "negative"},
		{"past every lifetime", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), "after"},
		{"far past int ms", 1 << 62, "after"},
		{"none yet", 0, ""},
		{"plausible", now, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testproc.Context(t)
			cluster := clusterOf(t)
			cli := rawClient(t, srv.Endpoints())
			key := etcd.Prefix(cluster) + "hw/1"
			if _, err := cli.Put(ctx, key, fmt.Sprintf(`{"w_unix_ms": %d, "holder": "by-hand"}`, tc.w)); err != nil {
				t.Fatal(err)
			}
			b := newBackend(t, srv.Endpoints(), cluster)
			defer b.Close()
			claim := coord.Claim{Node: "next", MaxWorkerID: 1, Reserved: []int64{0}}
			l, err := b.Acquire(ctx, claim)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("claim over W %d: %v", tc.w, err)
				}
				if tc.w != 0 && l.HighWater().UnixMilli() != tc.w {
					t.Errorf("HighWater %v, want %d ms", l.HighWater(), tc.w)
				}
				if err := l.Release(ctx, l.HighWater()); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, coord.ErrBadRecord) {
				t.Fatalf("claim over W %d = %v, want ErrBadRecord", tc.w, err)
			}
			for _, part := range []string{"hw/1", fmt.Sprint(tc.w), tc.want} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("refusal %q does not say %q", err, part)
				}
			}
			t.Logf("refusal: %v", err)
			// The refused claim gave its lease back: the WorkerId is free
			// again once the record is repaired.
			if _, err := cli.Put(ctx, key, fmt.Sprintf(`{"w_unix_ms": %d, "holder": "repaired"}`, now)); err != nil {
				t.Fatal(err)
			}
			l, err = b.Acquire(ctx, claim)
			if err != nil {
				t.Fatalf("claim after the repair: %v", err)
			}
			if err := l.Release(ctx, l.HighWater()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
