package zkcoord

import (
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/coord"
)

// walk lists p and every znode under it, parents first.
func walk(t *testing.T, c *gozk.Conn, p string) []string {
	t.Helper()
	out := []string{p}
	kids, _, err := c.Children(p)
	if err != nil {
		t.Fatalf("children of %s: %v", p, err)
	}
	slices.Sort(kids)
	for _, k := range kids {
		out = append(out, walk(t, c, path.Join(p, k))...)
	}
	return out
}

// TestDigestACL shows that with digest auth every znode idcoord creates,
// parents included, lets only its creator's identity change it: a client
// without credentials, or with another identity, can read but not write,
// delete, add children or change the ACL, while the node keeps working.
func TestDigestACL(t *testing.T) {
	zk := startZK(t)
	const secret = "idcoord-orders:s3cret-Kq9"
	auth := []Credential{{Scheme: "digest", Secret: []byte(secret)}}
	want := append(gozk.DigestACL(gozk.PermAll, "idcoord-orders", "s3cret-Kq9"), gozk.WorldACL(gozk.PermRead)...)

	for _, mode := range []Mode{ModeSequential, ModeEphemeral} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := testCtx(t)
			cluster := "acl-" + string(mode)
			b := open(t, zk.Addr(), cluster, func(c *Config) { c.Mode = mode; c.Auth = auth; c.Identity = "10.0.0.7:7070" })
			l := mustAcquire(t, b, claimFor("orders-1", 15))
			if err := l.Reserve(ctx, time.Now().Add(2*time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := l.Report(ctx, coord.Report{Timestamp: time.Now().UnixMilli(), WorkerID: l.WorkerID(), Admin: "10.0.0.7:7070"}); err != nil {
				t.Fatal(err)
			}

			anon := raw(t, zk.Addr())
			other := raw(t, zk.Addr())
			if err := other.AddAuth("digest", []byte("idcoord-payments:other")); err != nil {
				t.Fatal(err)
			}
			roots := []string{"/idcoord"}
			if mode == ModeSequential {
				roots = append(roots, "/snowflake")
			}
			var nodes []string
			for _, r := range roots {
				nodes = append(nodes, walk(t, anon, r)...)
			}
			owner := raw(t, zk.Addr()) // reads the ACLs unredacted: ZooKeeper masks digests to others
			if err := owner.AddAuth("digest", []byte(secret)); err != nil {
				t.Fatal(err)
			}
			filled := []string{"/idcoord/" + cluster + "/workers/", "/idcoord/" + cluster + "/leaf_forever/", "/idcoord/" + cluster + "/leaf_temporary/"}
			if mode == ModeSequential {
				filled = append(filled, "/snowflake/"+cluster+"/forever/") // W lives in the forever znode
			} else {
				filled = append(filled, "/idcoord/"+cluster+"/hw/")
			}
			for _, dir := range filled {
				if !slices.ContainsFunc(nodes, func(n string) bool { return strings.HasPrefix(n, dir) }) {
					t.Errorf("no znode under %s/ to check; the test covers less than it claims", dir)
				}
			}
			for _, n := range nodes {
				if !strings.HasPrefix(n, "/idcoord/"+cluster) && n != "/idcoord" && !strings.HasPrefix(n, "/snowflake") {
					continue // another subtest's cluster
				}
				acl, _, err := owner.GetACL(n)
				if err != nil {
					t.Fatalf("getAcl %s: %v", n, err)
				}
				if !slices.Equal(acl, want) {
					t.Errorf("%s has ACL %v, want %v", n, acl, want)
				}
				for name, c := range map[string]*gozk.Conn{"no credentials": anon, "another identity": other} {
					if _, _, err := c.Get(n); err != nil {
						t.Errorf("%s: reading %s: %v; want it readable", name, n, err)
					}
					if _, err := c.Set(n, []byte("x"), -1); !errors.Is(err, gozk.ErrNoAuth) {
						t.Errorf("%s: setData %s: %v; want %v", name, n, err, gozk.ErrNoAuth)
					}
					if err := c.Delete(n, -1); !errors.Is(err, gozk.ErrNoAuth) && n != "/idcoord" && n != "/snowflake" {
						// Deleting a top-level znode is the root's ACL to decide.
						t.Errorf("%s: delete %s: %v; want %v", name, n, err, gozk.ErrNoAuth)
					}
					if _, err := c.Create(n+"/squat", nil, gozk.FlagPersistent, gozk.WorldACL(gozk.PermAll)); !errors.Is(err, gozk.ErrNoAuth) &&
						!errors.Is(err, gozk.ErrNoChildrenForEphemerals) {
						t.Errorf("%s: create under %s: %v; want %v", name, n, err, gozk.ErrNoAuth)
					}
					if _, err := c.SetACL(n, gozk.WorldACL(gozk.PermAll), -1); !errors.Is(err, gozk.ErrNoAuth) {
						t.Errorf("%s: setAcl %s: %v; want %v", name, n, err, gozk.ErrNoAuth)
					}
				}
			}
			t.Logf("%d znodes checked: readable by anyone, changed only by idcoord-orders", len(nodes))

			// The authenticated node goes on working.
			if err := l.Reserve(ctx, time.Now().Add(3*time.Second)); err != nil {
				t.Fatalf("Reserve after the attempts: %v", err)
			}
			if err := l.Release(ctx, time.Now()); err != nil {
				t.Fatalf("Release: %v", err)
			}
			again := mustAcquire(t, open(t, zk.Addr(), cluster, func(c *Config) { c.Mode = mode; c.Auth = auth; c.Identity = "10.0.0.7:7070" }),
				claimFor("orders-1", 15))
			if err := again.Release(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDefaultACL covers the ACL chosen from the credentials.
func TestDefaultACL(t *testing.T) {
	digest := func(user, pw string) []gozk.ACL { return gozk.DigestACL(gozk.PermAll, user, pw) }
	read := gozk.WorldACL(gozk.PermRead)
	for _, tc := range []struct {
		name string
		auth []Credential
		want []gozk.ACL
	}{
		{"none", nil, gozk.WorldACL(gozk.PermAll)},
		{"digest", []Credential{{"digest", []byte("u:p")}}, append(digest("u", "p"), read...)},
		{"password with a colon", []Credential{{"digest", []byte("u:p:q")}}, append(digest("u", "p:q"), read...)},
		{"two digests", []Credential{{"digest", []byte("a:1")}, {"digest", []byte("b:2")}},
			slices.Concat(digest("a", "1"), digest("b", "2"), read)},
		{"other scheme only", []Credential{{"ip", []byte("10.0.0.1")}}, gozk.WorldACL(gozk.PermAll)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultACL(tc.auth); !slices.Equal(got, tc.want) {
				t.Errorf("DefaultACL = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDigestSecretNotInErrors checks that a malformed digest credential is
// refused without quoting it.
func TestDigestSecretNotInErrors(t *testing.T) {
	for _, secret := range []string{"no-colon-Sx81", ":only-password-Sx81", "only-user-Sx81:"} {
		err := Config{Auth: []Credential{{Scheme: "digest", Secret: []byte(secret)}}}.Validate()
		if err == nil {
			t.Fatalf("digest %q accepted", secret)
		}
		if strings.Contains(err.Error(), "Sx81") {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
