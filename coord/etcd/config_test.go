package etcd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord/etcd"
)

func TestConfigValidate(t *testing.T) {
	ok := etcd.Config{Endpoints: []string{"127.0.0.1:2379"}}
	tests := []struct {
		name string
		edit func(*etcd.Config)
		says string // a part of the error; "" for none
	}{
		{"zero fields take the defaults", func(*etcd.Config) {}, ""},
		{"default config with endpoints", func(c *etcd.Config) { *c = etcd.DefaultConfig(); c.Endpoints = ok.Endpoints }, ""},
		{"no endpoints", func(c *etcd.Config) { c.Endpoints = nil }, "no endpoints"},
		{"cluster with a slash", func(c *etcd.Config) { c.Cluster = "a/b" }, "contains '/'"},
		{"cluster with a space", func(c *etcd.Config) { c.Cluster = "a b" }, "U+0020"},
		{"shortest TTL", func(c *etcd.Config) { c.TTL = etcd.MinTTL }, ""},
		{"short TTL", func(c *etcd.Config) { c.TTL = time.Second }, "lease TTL 1s: below 2s; etcd grants no shorter lease"},
		{"TTL of a fraction", func(c *etcd.Config) { c.TTL = 2500 * time.Millisecond }, "etcd leases last whole seconds"},
		{"negative TTL", func(c *etcd.Config) { c.TTL = -5 * time.Second }, "must not be negative"},
		{"margin too big", func(c *etcd.Config) { c.TTL = 4 * time.Second; c.FenceMargin = 2 * time.Second }, "fence margin 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.says == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
				t.Fatalf("Validate() = %v, want an error saying %q", err, tt.says)
			}
		})
	}
}
