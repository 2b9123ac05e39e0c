package store_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/idcoord/idcoord/coord/coordtest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Package store has no goleak check: the embedded etcd leaves goroutines
// behind after Close, as in coord/etcd.

// testLogs is a logger that writes to the test's log and keeps the entries.
func testLogs(t testing.TB) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(zapcore.NewTee(coordtest.Logger(t, zap.InfoLevel).Core(), core)), logs
}

// embeddedAddr returns a loopback address whose port and the next one (the
// embedded member's peer port) are free.
func embeddedAddr(t testing.TB) string {
	t.Helper()
	for range 100 {
		port, err := testproc.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if peer, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1))); err == nil {
			peer.Close()
			return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		}
	}
	t.Fatal("no two free ports in a row on 127.0.0.1")
	return ""
}

// waitLogged waits until logs holds an entry with message msg, or the test's
// deadline comes.
func waitLogged(t testing.TB, logs *observer.ObservedLogs, msg string, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for logs.FilterMessage(msg).Len() == 0 {
		if time.Now().After(end) {
			t.Fatalf("no %q logged within %s", msg, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
