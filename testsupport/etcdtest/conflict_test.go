package etcdtest

import (
	"net"
	"testing"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// busyFirst makes the next start find its first port taken, once, and
// restores pickPorts when the test ends.
func busyFirst(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	busy := ln.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPorts = func(n int) ([]int, error) {
		calls++
		ports, err := testproc.FreePorts(n)
		if err == nil && calls == 1 {
			ports[0] = busy
		}
		return ports, err
	}
	t.Cleanup(func() { pickPorts = testproc.FreePorts })
}

func TestPortConflictIsRetried(t *testing.T) {
	tests := []struct {
		name  string
		start func(testing.TB) []string
	}{
		{name: "binary", start: func(tb testing.TB) []string { return StartBinary(tb).Endpoints() }},
		{name: "cluster", start: func(tb testing.TB) []string { return StartCluster(tb, 3).Endpoints() }},
		{name: "embedded", start: func(tb testing.TB) []string { return StartEmbedded(tb).Endpoints() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busyFirst(t)
			cli := newClient(t, tt.start(t))
			put(t, cli, "/etcdtest/retried", "yes")
			mustGet(t, cli, "/etcdtest/retried", "yes")
		})
	}
}
