package main

import (
	"fmt"
	"net"
	"os"
)

// AdminAdvertise returns the address peers use to reach this node's admin
// listener: admin.advertise if set; else admin.addr if it names a host that
// is not a wildcard; else $POD_IP with admin.addr's port; else the first
// non-loopback address of this machine with that port.
func (s *settings) AdminAdvertise() (string, error) {
	return advertiseFor(s.Admin, os.Getenv("POD_IP"), net.InterfaceAddrs)
}

// advertiseFor works out the advertised admin address from the settings,
// the pod IP (may be empty) and the machine's interface addresses.
func advertiseFor(a adminSettings, podIP string, ifaceAddrs func() ([]net.Addr, error)) (string, error) {
	if a.Advertise != "" {
		return a.Advertise, nil
	}
	host, port, err := net.SplitHostPort(a.Addr)
	if err != nil {
		return "", fmt.Errorf("admin.addr %q: %w", a.Addr, err)
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return a.Addr, nil
	}
	if podIP != "" {
		return net.JoinHostPort(podIP, port), nil
	}
	addrs, err := ifaceAddrs()
	if err != nil {
		return "", fmt.Errorf("admin.advertise: listing this machine's addresses: %w", err)
	}
	for _, addr := range addrs {
		ipNet, ok := addr.(*net.IPNet)
		if ok && !ipNet.IP.IsLoopback() && !ipNet.IP.IsLinkLocalUnicast() && !ipNet.IP.IsUnspecified() {
			return net.JoinHostPort(ipNet.IP.String(), port), nil
		}
	}
	return "", fmt.Errorf("admin.advertise: admin.addr %q names no host, POD_IP is unset and this machine has no non-loopback address; set admin.advertise", a.Addr)
}
