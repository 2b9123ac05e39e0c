package zkcoord

import (
	"math"
	"slices"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// TestSegmentVersion maps znode versions to SegmentVersions and back: every
// int32 maps to a positive SegmentVersion that maps back to it, except -1,
// which a set would read as "any version".
func TestSegmentVersion(t *testing.T) {
	for _, z := range []int32{0, 1, 2, math.MaxInt32 - 1, math.MaxInt32, math.MinInt32, math.MinInt32 + 1, -2} {
		v := segmentVersion(&gozk.Stat{Version: z})
		if v <= 0 {
			t.Errorf("znode version %d maps to %d; want a positive SegmentVersion", z, v)
		}
		if back, ok := znodeVersion(v); !ok || back != z {
			t.Errorf("znode version %d maps to %d, which maps back to %d, %v", z, v, back, ok)
		}
	}
	if v := segmentVersion(&gozk.Stat{Version: -1}); v <= 0 {
		t.Errorf("znode version -1 maps to %d; want a positive SegmentVersion", v)
	} else if z, ok := znodeVersion(v); ok {
		t.Errorf("SegmentVersion %d maps to znode version %d; want it refused", v, z)
	}
	for _, v := range []coord.SegmentVersion{0, -1, math.MaxUint32 + 2, math.MaxInt64} {
		if z, ok := znodeVersion(v); ok {
			t.Errorf("SegmentVersion %d maps to znode version %d; want it refused", v, z)
		}
	}
}

// TestSegmentACL shows that segment records, and the folders created for
// them, carry the Backend's ACL: another identity reads them but cannot
// take a segment or create a tag, and is told coord.ErrDenied.
func TestSegmentACL(t *testing.T) {
	zk := startZK(t)
	ctx := testCtx(t)
	const cluster = "segment-acl"
	auth := []Credential{{Scheme: "digest", Secret: []byte("idcoord-orders:s3cret-Kq9")}}
	want := DefaultACL(auth)
	owner := open(t, zk.Addr(), cluster, func(c *Config) { c.Auth = auth })
	created, err := coord.CreateSegment(ctx, owner, "orders", 1, 1000, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	admin := raw(t, zk.Addr()) // reads the ACLs unredacted: ZooKeeper masks digests to others
	if err := admin.AddAuth(auth[0].Scheme, auth[0].Secret); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{owner.p.root, owner.segmentsDir(), owner.segmentPath("orders")} {
		acl, _, err := admin.GetACL(p)
		if err != nil {
			t.Fatalf("getAcl %s: %v", p, err)
		}
		if !slices.Equal(acl, want) {
			t.Errorf("%s has ACL %v; want %v", p, acl, want)
		}
	}

	other := open(t, zk.Addr(), cluster, func(c *Config) {
		c.Auth = []Credential{{Scheme: "digest", Secret: []byte("idcoord-payments:other")}}
	})
	got, _, err := other.GetSegment(ctx, "orders")
	if err != nil || got != created {
		t.Fatalf("GetSegment by another identity = %+v, %v; want %+v", got, err, created)
	}
	_, _, err = coord.TakeSegment(ctx, other, "orders", 10, time.Now())
	wantErr(t, err, coord.ErrDenied)
	t.Logf("a take by another identity: %v", err)
	_, err = coord.CreateSegment(ctx, other, "payments", 1, 1000, "", time.Now())
	wantErr(t, err, coord.ErrDenied)
	if after, _, err := owner.GetSegment(ctx, "orders"); err != nil || after != created {
		t.Fatalf("after the refused take: %+v, %v; want %+v", after, err, created)
	}
}
