package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord/store"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

func TestDefaultConfig(t *testing.T) {
	c := store.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	if c.Kind != store.KindEmbedded || c.StartTimeout != 30*time.Second || c.DataDir != store.DefaultDataDir ||
		len(c.Etcd.Endpoints) != 1 || c.Etcd.Endpoints[0] != store.DefaultEtcdEndpoint || c.ZK.Mode != zkcoord.ModeSequential {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
	if err := (store.Config{}).Validate(); err != nil {
		t.Fatalf("the zero Config is not valid: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*store.Config)
		want string // a part of the error; empty: valid
	}{
		{"etcd", func(c *store.Config) { c.Kind = store.KindEtcd }, ""},
		{"zk", func(c *store.Config) { c.Kind = store.KindZooKeeper }, ""},
		{"unknown kind", func(c *store.Config) { c.Kind = "consul" }, `store: kind "consul" must be "etcd", "zk" or "embedded"`},
		{"negative start timeout", func(c *store.Config) { c.StartTimeout = -time.Second }, "store: start timeout -1s must not be negative"},
		{"cert without key", func(c *store.Config) { c.Kind, c.Etcd.CertFile = store.KindEtcd, "/c.pem" }, "etcd.cert-file and etcd.key-file go together"},
		{"key without cert, embedded", func(c *store.Config) { c.Etcd.KeyFile = "/k.pem" }, "etcd.cert-file and etcd.key-file go together"},
		// The backends' own rules, checked by the backends.
		{"etcd lease TTL", func(c *store.Config) { c.Etcd.LeaseTTL = time.Second }, "etcd: lease TTL 1s: below 2s; etcd grants no shorter lease (1.5x its election timeout)"},
		{"zk mode", func(c *store.Config) { c.Kind, c.ZK.Mode = store.KindZooKeeper, "nope" }, `zkcoord: mode "nope"`},
		{"zk identity", func(c *store.Config) { c.Kind, c.ZK.Identity = store.KindZooKeeper, "no-port" }, `identity "no-port" must be host:port`},
		{"zk rules only for zk", func(c *store.Config) { c.ZK.Mode = "nope" }, ""},
		{"etcd rules only for etcd", func(c *store.Config) { c.Kind, c.Etcd.LeaseTTL = store.KindZooKeeper, time.Second }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := store.DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
