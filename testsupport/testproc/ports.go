package testproc

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// BindAttempts is how many sets of ports a start tries before it gives up.
// A port found free can be taken by another process before the server binds
// it.
const BindAttempts = 3

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment
// ago. All n listeners are held open together so no port repeats.
func FreePorts(n int) ([]int, error) {
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("testproc: find a free port on 127.0.0.1 (%d of %d): %w", len(ports)+1, n, err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreePort returns one TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ports, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// FreePortPair returns a TCP port p on 127.0.0.1 such that p and p+1 were
// both free a moment ago, for a server that binds a port and the next one
// (idcoord's embedded etcd: its client port and, next to it, its peer port).
func FreePortPair() (int, error) {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("testproc: find a free port on 127.0.0.1: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
		_ = ln.Close()
		if err == nil {
			_ = next.Close()
			return port, nil
		}
	}
	return 0, errors.New("testproc: no two consecutive free ports on 127.0.0.1 in 100 tries")
}

// MustFreePort returns FreePort's port, or fails tb.
func MustFreePort(tb testing.TB) int {
	tb.Helper()
	return portOrFail(tb, FreePort)
}

// MustFreePortPair returns FreePortPair's port, or fails tb.
func MustFreePortPair(tb testing.TB) int {
	tb.Helper()
	return portOrFail(tb, FreePortPair)
}

func portOrFail(tb testing.TB, find func() (int, error)) int {
	tb.Helper()
	port, err := find()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// IsBindConflict reports whether a server's log or error says a port was
// taken: Go servers such as etcd write "bind: address already in use", Java
// servers such as ZooKeeper "BindException: Address already in use".
func IsBindConflict(text string) bool {
	return strings.Contains(text, "address already in use") ||
		strings.Contains(text, "Address already in use")
}
