package etcdtest

import (
	"fmt"
	"net"
	"strings"
)

// bindAttempts is how many sets of ports a start tries before it gives up.
// A port found free can be taken by another process before etcd binds it.
const bindAttempts = 3

// pickPorts chooses ports for a start; tests replace it to force a conflict.
var pickPorts = freePorts

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment
// ago. All n listeners are held open together so no port repeats.
func freePorts(n int) ([]int, error) {
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
			return nil, fmt.Errorf("etcdtest: find a free port on 127.0.0.1 (%d of %d): %w", len(ports)+1, n, err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// isBindConflict reports whether a server's log or error says a port was taken.
func isBindConflict(text string) bool {
	return strings.Contains(text, "address already in use")
}
