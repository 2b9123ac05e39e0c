package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// storeStartTimeout bounds retrying an unreachable store at start.
const storeStartTimeout = 30 * time.Second

// store is an open coordination backend, with the embedded etcd under it
// when coord is embedded.
type store struct {
	backend  coord.Backend
	embedded *etcd.Embedded
}

// stop closes the embedded etcd, if any. The backend is closed by its owner
// (the node, once started).
func (s *store) stop() {
	if s.embedded != nil {
		s.embedded.Close()
	}
}

// openStore connects to the configured store, retrying with backoff while it
// is unreachable, for up to storeStartTimeout. It never starts from a cache.
func openStore(ctx context.Context, s *settings, identity string, log *zap.Logger) (*store, error) {
	st := &store{}
	endpoints := s.Etcd.Endpoints
	if s.Coord == coordEmbedded {
		e, err := etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{DataDir: s.DataDir, ClientAddr: s.Etcd.Endpoints[0], Logger: log})
		var inUse *etcd.DataDirInUseError
		if errors.As(err, &inUse) {
			return nil, fmt.Errorf("data-dir %s is in use by another idcoord (%s); stop it or choose another --data-dir", s.DataDir, inUse.Holder())
		}
		if err != nil {
			return nil, err
		}
		st.embedded = e
		endpoints = []string{e.Endpoint()}
	}
	ctx, cancel := context.WithTimeout(ctx, storeStartTimeout)
	defer cancel()
	backoff := 200 * time.Millisecond
	for {
		b, err := connect(ctx, s, endpoints, identity, log)
		if err == nil {
			st.backend = b
			return st, nil
		}
		if !errors.Is(err, coord.ErrUnreachable) || ctx.Err() != nil {
			st.stop()
			return nil, err
		}
		log.Warn("store unreachable, retrying", zap.Error(err), zap.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			st.stop()
			return nil, fmt.Errorf("%w (gave up after %s)", err, storeStartTimeout)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func connect(ctx context.Context, s *settings, endpoints []string, identity string, log *zap.Logger) (coord.Backend, error) {
	if s.Coord == coordZK {
		auth, err := zkAuth(s.ZK.AuthFile)
		if err != nil {
			return nil, err
		}
		return zkcoord.New(ctx, zkcoord.Config{
			Servers: s.ZK.Servers, Cluster: s.Cluster, Mode: zkcoord.Mode(s.ZK.Mode),
			SessionTimeout: s.ZK.SessionTimeout, LeafName: s.ZK.LeafName, Identity: identity,
			Auth: auth, Logger: log.Named("zk"),
		})
	}
	// The embedded member listens on loopback without auth or TLS; the etcd
	// credentials are for an external cluster.
	var username, password string
	var tlsConfig *tls.Config
	if s.Coord == coordEtcd {
		var err error
		if password, err = readSecret("etcd.password-file", s.Etcd.PasswordFile); err != nil {
			return nil, err
		}
		if tlsConfig, err = etcdTLS(s.Etcd); err != nil {
			return nil, err
		}
		username = s.Etcd.Username
	}
	return etcd.New(ctx, etcd.Config{
		Endpoints: endpoints, Username: username, Password: password, TLS: tlsConfig,
		Cluster: s.Cluster, TTL: s.LeaseTTL, Logger: log.Named("etcd"),
	})
}

// readSecret reads a secret from path (empty path: no secret). The secret is
// never part of an error message.
func readSecret(key, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	secret := strings.TrimRight(string(b), "\r\n")
	if secret == "" {
		return "", fmt.Errorf("%s: %s is empty", key, path)
	}
	return secret, nil
}

// zkAuth reads zk.auth-file: one line "user:password", used as digest auth.
func zkAuth(path string) ([]zkcoord.Credential, error) {
	secret, err := readSecret("zk.auth-file", path)
	if err != nil || secret == "" {
		return nil, err
	}
	if !strings.Contains(secret, ":") {
		return nil, fmt.Errorf("zk.auth-file: %s must hold one line user:password", path)
	}
	return []zkcoord.Credential{{Scheme: "digest", Secret: []byte(secret)}}, nil
}

// etcdTLS builds the client TLS config: the CA that signs the servers, and a
// client certificate when one is set. Verification is never skipped.
func etcdTLS(e etcdSettings) (*tls.Config, error) {
	if e.CAFile == "" && e.CertFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd.ca-file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd.ca-file: %s holds no PEM certificate", e.CAFile)
		}
	}
	if e.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd.cert-file/etcd.key-file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
