package etcdtest

import (
	"context"
	"testing"
	"time"

	"github.com/idcoord/idcoord/testsupport/faultproxy"
)

// TestThroughFaultProxy checks that the etcd client's gRPC stream survives the
// proxy, and that Block silences it.
func TestThroughFaultProxy(t *testing.T) {
	e := StartEmbedded(t)
	p := faultproxy.NewWith(t, e.ClientAddr(), faultproxy.Options{Seed: 3})
	cli := newClient(t, []string{p.Addr()})
	put(t, cli, "/etcdtest/fp", "1")

	p.SetDelay(20*time.Millisecond, 10*time.Millisecond)
	mustGet(t, cli, "/etcdtest/fp", "1")
	p.SetDelay(0, 0)

	p.Block()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := cli.Get(ctx, "/etcdtest/fp")
	cancel()
	if err == nil {
		t.Fatal("get through a blocked proxy succeeded")
	}
	p.Unblock()
	mustGet(t, cli, "/etcdtest/fp", "1")
}
