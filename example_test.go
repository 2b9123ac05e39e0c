package idcoord_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord/etcd"
)

// Example starts a node against an in-process etcd (what `coord: embedded`
// does) and draws IDs. Against a real cluster, pass its endpoints to
// etcd.New instead.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "idcoord-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{DataDir: dir, ClientAddr: freeAddr()})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	backend, err := etcd.New(ctx, etcd.Config{Endpoints: []string{store.Endpoint()}, Cluster: "example"})
	if err != nil {
		log.Fatal(err)
	}
	node, err := idcoord.Start(ctx, idcoord.Config{Backend: backend, Node: "web-0"})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Close(ctx)

	first, _ := node.NextID(ctx)
	batch, _ := node.NextIDs(ctx, 3)
	parts, _ := node.Layout().Decompose(first)
	fmt.Println("WorkerId:", parts.WorkerID)
	fmt.Println("increasing:", first < batch[0] && batch[0] < batch[1] && batch[1] < batch[2])
	// Output:
	// WorkerId: 1
	// increasing: true
}

// freeAddr returns a loopback address whose port and the next one are free.
func freeAddr() string {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		addr := l.Addr().(*net.TCPAddr)
		next, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", addr.Port+1))
		l.Close()
		if err == nil {
			next.Close()
			return addr.String()
		}
	}
}
