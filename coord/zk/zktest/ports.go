package zktest

import (
	"fmt"
	"net"
	"strings"
)

// bindAttempts is how many ports a start tries before it gives up. A port
// found free can be taken by another process before the server binds it.
const bindAttempts = 3

// pickPort chooses the port for a start; tests replace it to force a conflict.
var pickPort = freePort

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("zktest: find a free port on 127.0.0.1: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// isBindConflict reports whether a server's log says its port was taken.
func isBindConflict(log string) bool {
	return strings.Contains(log, "Address already in use")
}
