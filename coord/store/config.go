package store

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord/etcd"
	zkcoord "github.com/idcoord/idcoord/coord/zk"
)

// Kind names a coordination store.
type Kind string

// The kinds of store.
const (
	// KindEtcd is an etcd cluster at EtcdConfig.Endpoints.
	KindEtcd Kind = "etcd"
	// KindZooKeeper is a ZooKeeper ensemble at ZKConfig.Servers.
	KindZooKeeper Kind = "zk"
	// KindEmbedded is a single-member etcd that Open starts in this
	// process, with its data in Config.DataDir, listening on the first of
	// EtcdConfig.Endpoints (and the port after it, for peers).
	KindEmbedded Kind = "embedded"
)

// Defaults for Config's zero fields. The backends' own defaults (cluster,
// lease TTL, ZooKeeper servers, mode and session timeout) are theirs:
// etcd.DefaultConfig and zkcoord.DefaultConfig.
const (
	DefaultKind         = KindEmbedded
	DefaultEtcdEndpoint = "127.0.0.1:2379"
	DefaultDataDir      = "./idcoord-data"
	DefaultStartTimeout = 30 * time.Second
)

// startBackoff is Open's first wait between two tries; each next one
// doubles, up to coord.DefaultMaxBackoff.
const startBackoff = 200 * time.Millisecond

// Config says which store to open and how. Zero fields mean the defaults
// above, or the backend's. Files are read by Open and Dial, not by
// Validate.
type Config struct {
	// Kind is KindEtcd, KindZooKeeper or KindEmbedded (the default).
	Kind Kind
	// Cluster is the namespace inside the store, /idcoord/<cluster>/.
	// Default: "default".
	Cluster string
	// Etcd configures the etcd client, for KindEtcd and KindEmbedded.
	Etcd EtcdConfig
	// ZK configures the ZooKeeper client, for KindZooKeeper.
	ZK ZKConfig
	// DataDir holds the embedded etcd's data (KindEmbedded). It is locked
	// while the member runs: a second Open on it fails at once. Default:
	// DefaultDataDir.
	DataDir string
	// StartTimeout bounds Open's retrying while the store is unreachable.
	// Default: 30s.
	StartTimeout time.Duration
	// Logger; nil means no logging. The backends log under "etcd" and "zk".
	Logger *zap.Logger
}

// EtcdConfig configures the etcd client. With KindEmbedded only Endpoints
// and LeaseTTL count: the embedded member listens on loopback without
// auth or TLS, and the credentials are for an external cluster.
type EtcdConfig struct {
	// Endpoints of the cluster, "host:port". Default: 127.0.0.1:2379.
	Endpoints []string
	// Username for etcd auth, with the password in PasswordFile; empty
	// means none.
	Username string
	// PasswordFile holds the password, on one line (a trailing newline is
	// dropped). Empty means no password.
	PasswordFile string
	// CAFile holds the PEM certificates of the CAs that sign the servers.
	// With CAFile or CertFile set the client speaks TLS; without CAFile it
	// trusts the system's roots. Verification is never skipped.
	CAFile string
	// CertFile and KeyFile are the client's certificate and key, PEM: set
	// both or neither.
	CertFile, KeyFile string
	// LeaseTTL is the TTL of each lease: whole seconds, at least 2s.
	// Default: etcd.DefaultTTL (10s).
	LeaseTTL time.Duration
}

// ZKConfig configures the ZooKeeper client; see zkcoord.Config for each
// field's default and rules.
type ZKConfig struct {
	// Servers of the ensemble, "host:port". Default: 127.0.0.1:2181.
	Servers []string
	// Mode is zkcoord.ModeSequential (the default) or ModeEphemeral.
	Mode zkcoord.Mode
	// SessionTimeout asked of the server. Default: 6s.
	SessionTimeout time.Duration
	// LeafName is the <leaf.name> of /snowflake/<leaf.name>/forever.
	// Default: Cluster.
	LeafName string
	// Identity is the "ip:port" that names this process in sequential
	// mode, such as the node's admin advertise address. Empty means each
	// claim's node name.
	Identity string
	// AuthFile holds one line "user:password", used as digest auth on
	// every session and in the ACL of every znode created. Empty means
	// none.
	AuthFile string
}

// DefaultConfig returns a Config with every default filled in, the
// backends' included.
func DefaultConfig() Config {
	c := Config{
		Cluster: etcd.DefaultCluster,
		Etcd:    EtcdConfig{LeaseTTL: etcd.DefaultTTL},
		ZK:      ZKConfig{Servers: []string{zkcoord.DefaultServer}, Mode: zkcoord.DefaultMode, SessionTimeout: zkcoord.DefaultSessionTimeout},
	}
	return c.withDefaults()
}

// withDefaults returns c with this package's zero fields filled in; the
// backends fill in their own.
func (c Config) withDefaults() Config {
	if c.Kind == "" {
		c.Kind = DefaultKind
	}
	if len(c.Etcd.Endpoints) == 0 {
		c.Etcd.Endpoints = []string{DefaultEtcdEndpoint}
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate checks c, defaults applied, and the backend configuration it
// makes (etcd.Config.Validate, zkcoord.Config.Validate), files left
// unread.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch c.Kind {
	case KindEtcd, KindZooKeeper, KindEmbedded:
	default:
		return fmt.Errorf("store: kind %q must be %q, %q or %q", c.Kind, KindEtcd, KindZooKeeper, KindEmbedded)
	}
	if c.StartTimeout < 0 {
		return fmt.Errorf("store: start timeout %s must not be negative", c.StartTimeout)
	}
	if c.Kind == KindZooKeeper {
		return c.zkBackendConfig(nil).Validate()
	}
	if (c.Etcd.CertFile == "") != (c.Etcd.KeyFile == "") {
		return errors.New("store: etcd.cert-file and etcd.key-file go together; set both or neither")
	}
	return c.etcdBackendConfig(c.Etcd.Endpoints, etcdSecrets{}).Validate()
}

// zkBackendConfig is the one place a zkcoord.Config is made from a Config.
func (c Config) zkBackendConfig(auth []zkcoord.Credential) zkcoord.Config {
	return zkcoord.Config{
		Servers: c.ZK.Servers, Cluster: c.Cluster, Mode: c.ZK.Mode, SessionTimeout: c.ZK.SessionTimeout,
		LeafName: c.ZK.LeafName, Identity: c.ZK.Identity, Auth: auth, Logger: c.Logger.Named("zk"),
	}
}

// etcdBackendConfig is the one place an etcd.Config is made from a
// Config, for the given endpoints (the embedded member's, or Etcd's).
func (c Config) etcdBackendConfig(endpoints []string, sec etcdSecrets) etcd.Config {
	return etcd.Config{
		Endpoints: endpoints, Username: sec.username, Password: sec.password, TLS: sec.tls,
		Cluster: c.Cluster, TTL: c.Etcd.LeaseTTL, Logger: c.Logger.Named("etcd"),
	}
}
