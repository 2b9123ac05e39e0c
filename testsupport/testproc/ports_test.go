package testproc

import (
	"fmt"
	"net"
	"testing"
)

func TestFreePortsAreDistinct(t *testing.T) {
	const n = 8
	ports, err := FreePorts(n)
	if err != nil {
		t.Fatalf("FreePorts(%d): %v", n, err)
	}
	if len(ports) != n {
		t.Fatalf("FreePorts(%d) returned %d ports: %v", n, len(ports), ports)
	}
	seen := make(map[int]bool, n)
	for _, p := range ports {
		if p <= 0 || p > 65535 || seen[p] {
			t.Fatalf("FreePorts(%d) = %v: port %d is out of range or repeated", n, ports, p)
		}
		seen[p] = true
	}
	if p, err := FreePort(); err != nil || p <= 0 {
		t.Fatalf("FreePort() = %d, %v", p, err)
	}
}

func TestIsBindConflict(t *testing.T) {
	tests := []struct {
		name string
		text string
		want bool
	}{
		{name: "go", text: `{"level":"fatal","msg":"listen tcp 127.0.0.1:2379: bind: address already in use"}`, want: true},
		{name: "java", text: "java.net.BindException: Address already in use", want: true},
		{name: "other error", text: "connection refused", want: false},
		{name: "empty", text: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsBindConflict(tt.text); got != tt.want {
				t.Fatalf("IsBindConflict(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestFreePortPair(t *testing.T) {
	p, err := FreePortPair()
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{p, p + 1} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("FreePortPair() = %d, but %d cannot be bound: %v", p, port, err)
		}
		ln.Close()
	}
}
