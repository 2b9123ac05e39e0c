package zktest

import (
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/idcoord/idcoord/testsupport/testproc"
)

// Dial opens a plain go-zookeeper client to addr, as an operator or a Leaf
// process would, and waits for its session. The client is closed, and its
// goroutines gone, when the test ends.
func Dial(tb testing.TB, addr string, sessionTimeout time.Duration) *gozk.Conn {
	tb.Helper()
	conn, events, err := gozk.Connect([]string{addr}, sessionTimeout, gozk.WithLogger(quiet{}))
	if err != nil {
		tb.Fatalf("zktest: connect %s: %v", addr, err)
	}
	tb.Cleanup(func() {
		conn.Close()
		for range events {
		}
	})
	wait := testproc.Context(tb)
	for {
		select {
		case ev := <-events:
			if ev.State == gozk.StateHasSession {
				return conn
			}
		case <-wait.Done():
			tb.Fatalf("zktest: gave up waiting for a ZooKeeper session with %s", addr)
		}
	}
}

// quiet drops go-zookeeper's own log lines.
type quiet struct{}

func (quiet) Printf(string, ...any) {}
