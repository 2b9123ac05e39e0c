package main

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestAdvertiseFor(t *testing.T) {
	loopback := &net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)}
	linkLocal := &net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)}
	private := &net.IPNet{IP: net.ParseIP("10.0.0.7"), Mask: net.CIDRMask(24, 32)}
	addrs := func(a ...net.Addr) func() ([]net.Addr, error) {
		return func() ([]net.Addr, error) { return a, nil }
	}
	for _, tc := range []struct {
		name    string
		admin   adminSettings
		podIP   string
		ifaces  func() ([]net.Addr, error)
		want    string
		wantErr string
	}{
		{"set explicitly", adminSettings{Addr: ":7070", Advertise: "node.svc:7070"}, "10.1.1.1", addrs(private), "node.svc:7070", ""},
		{"addr names a host", adminSettings{Addr: "10.2.2.2:7070"}, "10.1.1.1", addrs(private), "10.2.2.2:7070", ""},
		{"addr names a host name", adminSettings{Addr: "node-1:7070"}, "", addrs(), "node-1:7070", ""},
		{"wildcard uses the pod IP", adminSettings{Addr: "0.0.0.0:7070"}, "10.1.1.1", addrs(private), "10.1.1.1:7070", ""},
		{"no host uses the pod IP", adminSettings{Addr: ":7070"}, "fd00::5", addrs(private), "[fd00::5]:7070", ""},
		{"no pod IP uses an interface", adminSettings{Addr: "[::]:7071"}, "", addrs(loopback, linkLocal, private), "10.0.0.7:7071", ""},
		{"only loopback", adminSettings{Addr: ":7070"}, "", addrs(loopback), "", "set admin.advertise"},
		{"interfaces fail", adminSettings{Addr: ":7070"}, "", func() ([]net.Addr, error) { return nil, errors.New("boom") }, "", "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := advertiseFor(tc.admin, tc.podIP, tc.ifaces)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSettingsAdminAdvertise(t *testing.T) {
	t.Setenv("POD_IP", "10.9.9.9")
	s, err := settingsFor(t, "--admin.addr", ":7075")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.AdminAdvertise(); err != nil || got != "10.9.9.9:7075" {
		t.Errorf("AdminAdvertise = %q, %v", got, err)
	}
}
