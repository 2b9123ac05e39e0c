package store_test

import (
	"context"
	"fmt"
	"log"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/store"
)

// Example opens the etcd cluster that a fleet of idcoord sidecars uses,
// over TLS with a password, and starts a node inside this program: what
// `idcoord serve` does, without the socket. It needs that cluster, so it
// only compiles here.
func Example() {
	ctx := context.Background()
	cfg := store.DefaultConfig()
	cfg.Kind = store.KindEtcd
	cfg.Cluster = "orders"
	cfg.Etcd.Endpoints = []string{"etcd-0.etcd:2379", "etcd-1.etcd:2379", "etcd-2.etcd:2379"}
	cfg.Etcd.Username = "idcoord-orders"
	cfg.Etcd.PasswordFile = "/run/secrets/etcd-password"
	cfg.Etcd.CAFile = "/etc/idcoord/ca.pem"
	cfg.Etcd.CertFile, cfg.Etcd.KeyFile = "/etc/idcoord/client.pem", "/etc/idcoord/client-key.pem"
	// Open retries a store that does not answer yet, for up to
	// cfg.StartTimeout (30s), and never starts from a cache.
	st, err := store.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close() // last: it would stop an embedded etcd

	node, err := idcoord.Start(ctx, idcoord.Config{
		Backend: st.Backend(), // the node owns it from here on
		Node:    "orders-api-0",
		Admin:   "10.0.0.5:7070", // where peers read this node's clock
	})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Close(ctx) // releases the WorkerId and closes the Backend

	id, err := node.NextID(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id)
}

// ExampleDial lists the WorkerIds of a cluster on ZooKeeper, as `idcoord
// lease ls` does: one try, no retry, and the backend is the caller's to
// close.
func ExampleDial() {
	ctx := context.Background()
	b, err := store.Dial(ctx, store.Config{
		Kind:    store.KindZooKeeper,
		Cluster: "orders",
		ZK:      store.ZKConfig{Servers: []string{"zk-0:2181", "zk-1:2181", "zk-2:2181"}, AuthFile: "/run/secrets/zk-auth"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	holdings, err := b.(coord.Inspector).Holdings(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range holdings {
		fmt.Println(h.WorkerID, h.Node, h.Live)
	}
}
