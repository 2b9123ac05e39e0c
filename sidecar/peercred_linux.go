package sidecar

import (
	"fmt"
	"net"
	"slices"
	"syscall"

	"go.uber.org/zap"
)

// peerCredSupported tells whether AllowedUIDs can be checked here.
const peerCredSupported = true

// peerAllowed reports whether nc's peer uid (SO_PEERCRED) is in AllowedUIDs.
// A refused or unidentifiable peer is counted and logged with its pid and
// uid; the caller closes the connection.
func (s *Server) peerAllowed(nc net.Conn) bool {
	cred, err := peerCred(nc)
	if err == nil && slices.Contains(s.cfg.AllowedUIDs, cred.Uid) {
		return true
	}
	s.metrics.connsRefused[1].Inc()
	if ok, suppressed := s.refusedLog.allow(); ok {
		if err != nil {
			s.log.Warn("refused a connection: cannot read its peer credentials", zap.Error(err), zap.Int64("suppressed", suppressed))
		} else {
			s.log.Warn("refused a connection: peer uid not allowed",
				zap.Int32("pid", cred.Pid), zap.Uint32("uid", cred.Uid), zap.Uint32("gid", cred.Gid),
				zap.Uint32s("allowed-uids", s.cfg.AllowedUIDs), zap.Int64("suppressed", suppressed))
		}
	}
	return false
}

// peerCred reads the credentials of nc's peer.
func peerCred(nc net.Conn) (*syscall.Ucred, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("sidecar: %T has no file descriptor for SO_PEERCRED", nc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	if credErr != nil {
		return nil, fmt.Errorf("sidecar: SO_PEERCRED: %w", credErr)
	}
	return cred, nil
}
