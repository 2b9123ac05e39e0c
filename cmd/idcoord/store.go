package main

import (
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord/store"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// storeConfig maps the settings onto the store opener's Config: the one
// place where the command says which store it opens and how. identity
// names this process in ZooKeeper's sequential mode: serve passes its admin
// advertise address, the operator commands none. The values of coord are
// the store's kinds.
func storeConfig(s *settings, identity string, log *zap.Logger) store.Config {
	return store.Config{
		Kind:    store.Kind(s.Coord),
		Cluster: s.Cluster,
		Etcd: store.EtcdConfig{
			Endpoints: s.Etcd.Endpoints, Username: s.Etcd.Username, PasswordFile: s.Etcd.PasswordFile,
			CAFile: s.Etcd.CAFile, CertFile: s.Etcd.CertFile, KeyFile: s.Etcd.KeyFile, LeaseTTL: s.LeaseTTL,
		},
		ZK: store.ZKConfig{
			Servers: s.ZK.Servers, Mode: zkcoord.Mode(s.ZK.Mode), SessionTimeout: s.ZK.SessionTimeout,
			LeafName: s.ZK.LeafName, Identity: identity, AuthFile: s.ZK.AuthFile,
		},
		DataDir: s.DataDir,
		Logger:  log,
	}
}
