//go:build !linux

package sidecar

import "net"

// peerCredSupported tells whether AllowedUIDs can be checked here; Config
// validation refuses AllowedUIDs where it cannot.
const peerCredSupported = false

// peerAllowed refuses every peer; New never lets it be reached.
func (s *Server) peerAllowed(net.Conn) bool {
	s.metrics.connsRefused[1].Inc()
	return false
}
