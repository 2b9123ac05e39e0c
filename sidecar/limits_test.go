package sidecar

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

func TestMaxConns(t *testing.T) {
	const limit = 4
	ts := startServer(t, func(c *Config) { c.MaxConns = limit })
	held := make([]*lineConn, limit)
	for i := range held {
		held[i] = dialLine(t, ts.path)
		parseIDs(t, held[i].ask("1\n"), 1)
	}

	// A flood of connections is refused while the held ones keep being served.
	const flood = 50
	var wg sync.WaitGroup
	errs := make(chan string, flood)
	for range flood {
		wg.Go(func() {
			c, err := net.Dial("unix", ts.path)
			if err != nil {
				return // the accept backlog may be full; that is a refusal too
			}
			defer c.Close()
			c.Write([]byte("1\n"))
			out, _ := (&lineConn{t: t, UnixConn: c.(*net.UnixConn), r: newReader(c)}).readAll()
			if out != "ERR UNAVAILABLE too many connections (limit 4)\n" {
				errs <- out
			}
		})
	}
	for i := 0; i < 200; i++ {
		parseIDs(t, held[i%limit].ask("2\n"), 2)
	}
	wg.Wait()
	close(errs)
	for out := range errs {
		t.Errorf("a connection over the limit got %q", out)
	}
	if got := metricValue(ts.metrics.connsRefused[0]); got < 1 || got > flood {
		t.Fatalf("counted %v refused connections, want 1..%d", got, flood)
	}
	if got := metricValue(ts.metrics.connsOpen); got != limit {
		t.Fatalf("%v connections open, want %d", got, limit)
	}

	// A freed slot is usable again.
	held[0].Close()
	testproc.Within(t, 5*time.Second, "a free slot", func() bool { return metricValue(ts.metrics.connsOpen) < limit })
	assertServing(t, ts.path)
}

func TestAllowedUIDs(t *testing.T) {
	uid := uint32(os.Getuid())
	tests := []struct {
		name    string
		allowed []uint32
		served  bool
	}{
		{"own uid allowed", []uint32{uid}, true},
		{"among others", []uint32{uid + 1, uid}, true},
		{"not listed", []uint32{uid + 1}, false},
		{"empty list allows nobody", []uint32{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.WarnLevel)
			ts := startServerLogged(t, zap.New(core), func(c *Config) { c.AllowedUIDs = tt.allowed })
			c := dialLine(t, ts.path)
			if tt.served {
				parseIDs(t, c.ask("1\n"), 1)
				return
			}
			c.Write([]byte("1\n")) // the server may have closed it already
			out, _ := c.readAll()
			if out != "" {
				t.Fatalf("a refused peer got %q", out)
			}
			entries := logs.FilterMessage("refused a connection: peer uid not allowed").All()
			if len(entries) != 1 {
				t.Fatalf("logged %d refusals, want 1", len(entries))
			}
			fields := entries[0].ContextMap()
			if fields["pid"] != int32(os.Getpid()) || fields["uid"] != uid {
				t.Fatalf("refusal logged %v, want pid %d and uid %d", fields, os.Getpid(), uid)
			}
			if got := metricValue(ts.metrics.connsRefused[1]); got != 1 {
				t.Fatalf("counted %v refused peers, want 1", got)
			}
		})
	}
}
