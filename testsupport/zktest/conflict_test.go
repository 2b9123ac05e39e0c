package zktest

import (
	"net"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestPortConflictIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return busy, nil
		}
		return testproc.FreePort()
	}
	defer func() { pickPort = testproc.FreePort }()

	s := Start(t)
	if s.Addr() == ln.Addr().String() {
		t.Fatalf("server claims the busy address %s", s.Addr())
	}
	if calls < 2 {
		t.Fatalf("pickPort called %d times, want a retry", calls)
	}
	conn := connect(t, s.Addr(), 4*time.Second)
	create(t, conn, "/retried", "yes", 0)
}
