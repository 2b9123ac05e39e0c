package zkcoord

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // a part of the error, "" for none
	}{
		{"defaults", func(*Config) {}, ""},
		{"ephemeral", func(c *Config) { c.Mode = ModeEphemeral }, ""},
		{"identity", func(c *Config) { c.Identity = "10.0.0.5:7070" }, ""},
		{"ipv6 identity", func(c *Config) { c.Identity = "[fd00::5]:7070" }, ""},
		{"bad mode", func(c *Config) { c.Mode = "forever" }, `mode "forever"`},
		{"cluster with slash", func(c *Config) { c.Cluster = "a/b" }, "contains '/'"},
		{"leaf name dot", func(c *Config) { c.LeafName = ".." }, "relative path"},
		{"identity without port", func(c *Config) { c.Identity = "10.0.0.5" }, "must be host:port"},
		{"identity with slash", func(c *Config) { c.Identity = "a/b:1" }, "contains '/'"},
		{"negative timeout", func(c *Config) { c.SessionTimeout = -time.Second }, "session timeout"},
		{"sub-ms timeout", func(c *Config) { c.SessionTimeout = 1500 * time.Microsecond }, "whole milliseconds"},
		{"margin too big", func(c *Config) { c.Margin = 3 * time.Second }, "margin 3s"},
		{"server with path", func(c *Config) { c.Servers = []string{"h:2181/chroot"} }, "host or host:port"},
		{"auth without scheme", func(c *Config) { c.Auth = []Credential{{Secret: []byte("u:p")}} }, "no scheme"},
		{"control character", func(c *Config) { c.Cluster = "a\x01" }, "U+0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{}
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Mode != ModeSequential || c.SessionTimeout != 6*time.Second || c.LeafName != "default" || c.Servers[0] != "127.0.0.1:2181" {
		t.Fatalf("DefaultConfig() = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
