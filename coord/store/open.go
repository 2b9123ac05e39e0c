package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// Store is an open store: its Backend, and the embedded etcd under it with
// KindEmbedded.
type Store struct {
	backend  coord.Backend
	embedded *etcd.Embedded
}

// Backend returns the store's client. Whoever it is handed to owns it and
// closes it: an idcoord.Node does in its Close.
func (s *Store) Backend() coord.Backend { return s.backend }

// Close stops the embedded etcd, if any, and waits for it. It does not
// close Backend; call it after the Backend's owner has closed it (for a
// node, after Node.Close, which releases the WorkerId through the member).
// Later calls do nothing.
func (s *Store) Close() {
	if s.embedded != nil {
		s.embedded.Close()
	}
}

// Open opens the store for a process that will hold a WorkerId. With
// KindEmbedded it first starts the embedded etcd on DataDir, failing at
// once, with an error that matches etcd.ErrDataDirInUse, when another
// process runs one there. It then connects, retrying with backoff while the
// store is unreachable, for up to StartTimeout (each wait is logged as
// "store unreachable, retrying"); an unreachable store is then an error
// that wraps coord.ErrUnreachable and ends "(gave up after 30s)". Other
// errors (a bad Config, an unreadable file, coord.ErrDenied) end it at
// once.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	st := &Store{}
	endpoints := cfg.Etcd.Endpoints
	if cfg.Kind == KindEmbedded {
		e, err := etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{DataDir: cfg.DataDir, ClientAddr: endpoints[0], Logger: cfg.Logger})
		var inUse *etcd.DataDirInUseError
		if errors.As(err, &inUse) {
			return nil, &dataDirInUseError{dir: cfg.DataDir, err: inUse}
		}
		if err != nil {
			return nil, err
		}
		st.embedded = e
		endpoints = []string{e.Endpoint()}
	}
	connect, err := dialer(cfg, endpoints)
	if err != nil {
		st.Close()
		return nil, err
	}
	retry := coord.Retry{Timeout: cfg.StartTimeout, Backoff: startBackoff, Waiting: func(err error, wait time.Duration) {
		cfg.Logger.Warn("store unreachable, retrying", zap.Error(err), zap.Duration("backoff", wait))
	}}
	err = coord.RetryUnreachable(ctx, retry, func(ctx context.Context) (err error) {
		st.backend, err = connect(ctx)
		return err
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Dial connects to the store once, for a tool that reads or repairs it: it
// neither retries nor starts the embedded etcd (with KindEmbedded it
// connects to the member at Etcd.Endpoints that a running node serves).
// It gives up when the backend does (its own connect timeout: 5s for etcd,
// 10s for ZooKeeper) or when ctx ends, with an error that wraps
// coord.ErrUnreachable or ctx's error. The caller closes the Backend.
func Dial(ctx context.Context, cfg Config) (coord.Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	connect, err := dialer(cfg, cfg.Etcd.Endpoints)
	if err != nil {
		return nil, err
	}
	return connect(ctx)
}

// dialer reads the files cfg names and returns what connects with them,
// to endpoints for etcd.
func dialer(cfg Config, endpoints []string) (func(context.Context) (coord.Backend, error), error) {
	if cfg.Kind == KindZooKeeper {
		auth, err := zkAuth(cfg.ZK.AuthFile)
		if err != nil {
			return nil, err
		}
		zc := cfg.zkBackendConfig(auth)
		return func(ctx context.Context) (coord.Backend, error) { return backend(zkcoord.New(ctx, zc)) }, nil
	}
	// The embedded member listens on loopback without auth or TLS; the etcd
	// credentials are for an external cluster.
	var sec etcdSecrets
	if cfg.Kind == KindEtcd {
		var err error
		if sec, err = readEtcdSecrets(cfg.Etcd); err != nil {
			return nil, err
		}
	}
	ec := cfg.etcdBackendConfig(endpoints, sec)
	return func(ctx context.Context) (coord.Backend, error) { return backend(etcd.New(ctx, ec)) }, nil
}

// backend returns what a backend's New returned as a coord.Backend: nil,
// not a nil pointer in an interface, when New failed.
func backend[B coord.Backend](b B, err error) (coord.Backend, error) {
	if err != nil {
		return nil, err
	}
	return b, nil
}

// dataDirInUseError is etcd's *DataDirInUseError in the words idcoord has
// always used for it.
type dataDirInUseError struct {
	dir string
	err *etcd.DataDirInUseError
}

func (e *dataDirInUseError) Error() string {
	return fmt.Sprintf("data-dir %s is in use by another idcoord (%s); stop it or choose another --data-dir", e.dir, e.err.Holder())
}

func (e *dataDirInUseError) Unwrap() error { return e.err }
