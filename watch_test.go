package idcoord_test

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// rawWatch reports when key is deleted, watched with a plain client.
func rawWatch(t *testing.T, endpoints []string, key string) <-chan time.Time {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); cli.Close() })
	out := make(chan time.Time, 1)
	wch := cli.Watch(ctx, key)
	go func() {
		for resp := range wch {
			for _, ev := range resp.Events {
				if ev.Type == mvccpb.DELETE {
					out <- time.Now()
					return
				}
			}
		}
	}()
	return out
}
