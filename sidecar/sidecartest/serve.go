package sidecartest

import (
	"net"
	"testing"
)

// Server is what Serve runs: a *sidecar.Server (named here by its methods,
// so that this package need not import the sidecar).
type Server interface {
	Serve(l net.Listener) error
	Close() error
}

// Serve runs s on l in a goroutine until the test ends, then closes s and
// waits for Serve to return.
func Serve(tb testing.TB, s Server, l net.Listener) {
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	tb.Cleanup(func() {
		s.Close()
		<-done
	})
}
