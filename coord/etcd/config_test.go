package etcd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord/etcd"
)

func TestCheckTTL(t *testing.T) {
	tests := []struct {
		ttl  time.Duration
		says string // a part of the error; "" for none
	}{
		{etcd.MinTTL, ""},
		{etcd.DefaultTTL, ""},
		{time.Minute, ""},
		{time.Second, "below 2s; etcd grants no shorter lease"},
		{0, "below 2s"},
		{2500 * time.Millisecond, "etcd leases last whole seconds"},
		{-5 * time.Second, "must not be negative"},
	}
	for _, tt := range tests {
		err := etcd.CheckTTL(tt.ttl)
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("CheckTTL(%s) = %v, want nil", tt.ttl, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("CheckTTL(%s) = %v, want an error saying %q", tt.ttl, err, tt.says)
		}
	}
}

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
		{"short TTL", func(c *etcd.Config) { c.TTL = time.Second }, "lease TTL 1s: below 2s"},
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
