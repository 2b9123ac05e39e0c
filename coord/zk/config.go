package zkcoord

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Mode says where a node's WorkerID comes from.
type Mode string

// The modes.
const (
	// ModeSequential binds a WorkerID to an identity (ip:port) for good: it is
	// the sequence number of a persistent-sequential znode, as Meituan Leaf
	// hands them out. WorkerIDs are never reused.
	ModeSequential Mode = "sequential"
	// ModeEphemeral claims a WorkerID with an ephemeral znode, so it is
	// recycled once its holder's session ends.
	ModeEphemeral Mode = "ephemeral"
)

// Defaults for Config's zero fields.
const (
	DefaultServer         = "127.0.0.1:2181"
	DefaultCluster        = coord.DefaultCluster
	DefaultMode           = ModeSequential
	DefaultSessionTimeout = 6 * time.Second
	DefaultConnectTimeout = 10 * time.Second
)

// Credential is one AddAuth call made on every session, such as scheme
// "digest" with "user:password".
type Credential struct {
	Scheme string
	Secret []byte
}

// Config configures a Backend. Zero fields mean the documented defaults.
type Config struct {
	// Servers of the ensemble, "host:port" (a missing port means 2181).
	// Default: 127.0.0.1:2181.
	Servers []string
	// Cluster names the subtree /idcoord/<cluster>/, a name coord.CheckName
	// accepts. Default: "default".
	Cluster string
	// Mode is ModeSequential (the default) or ModeEphemeral.
	Mode Mode
	// SessionTimeout is the session timeout asked of the server, as
	// CheckSessionTimeout accepts it; the server may clamp it, and the fence
	// uses the negotiated value. Default: 6s.
	SessionTimeout time.Duration
	// ConnectTimeout bounds how long New waits for a session, on top of
	// ctx. Default: 10s.
	ConnectTimeout time.Duration
	// LeafName is the <leaf.name> of the Leaf-compatible tree
	// /snowflake/<leaf.name>/forever, a name coord.CheckName accepts.
	// Default: Cluster.
	LeafName string
	// Identity is the "ip:port" that names this process in the forever tree
	// in sequential mode: Leaf's listen address, or idcoord's admin
	// advertise address. A Leaf fleet keeps its WorkerIds by setting it to
	// the address Leaf listened on. Empty means each Claim's node name is
	// the identity, which suits an idcoord-only tree with stable node names
	// (Leaf itself cannot parse names that contain '-').
	Identity string
	// Auth is added to every session (digest auth and the like). Empty means
	// none.
	Auth []Credential
	// ACL is set on every znode the Backend creates, parents included (ZooKeeper
	// ACLs are not recursive). Nil means DefaultACL(Auth): with digest
	// credentials, only their identity may write and anyone may read;
	// without, world:anyone with all permissions.
	ACL []gozk.ACL
	// Margin is taken off the session deadline, for the round trip and the
	// server's tick (in an ensemble, the half tick in which a follower
	// relays a session's requests to the leader; see the package doc).
	// Zero means a sixth of the negotiated session timeout.
	Margin time.Duration
	// Logger; nil means no logging.
	Logger *zap.Logger
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	c := Config{}
	c.setDefaults()
	return c
}

// setDefaults sets c's zero fields to the defaults.
func (c *Config) setDefaults() {
	if len(c.Servers) == 0 {
		c.Servers = []string{DefaultServer}
	}
	orDefault(&c.Cluster, DefaultCluster)
	orDefault(&c.Mode, DefaultMode)
	orDefault(&c.SessionTimeout, DefaultSessionTimeout)
	orDefault(&c.ConnectTimeout, DefaultConnectTimeout)
	orDefault(&c.LeafName, c.Cluster)
	if c.ACL == nil {
		c.ACL = DefaultACL(c.Auth)
	}
	orDefault(&c.Logger, zap.NewNop())
}

// orDefault sets *v to def if *v is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate checks the configuration, defaults applied.
func (c Config) Validate() error {
	c.setDefaults()
	var errs []error
	for _, s := range c.Servers {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "/, \t\n") {
			errs = append(errs, fmt.Errorf("zkcoord: server %q must be host or host:port", s))
		}
	}
	if err := coord.CheckName(c.Cluster); err != nil {
		errs = append(errs, fmt.Errorf("%w: cluster %q %v", ErrBadName, c.Cluster, err))
	}
	if err := coord.CheckName(c.LeafName); err != nil {
		errs = append(errs, fmt.Errorf("%w: leaf name %q %v", ErrBadName, c.LeafName, err))
	}
	if c.Mode != ModeSequential && c.Mode != ModeEphemeral {
		errs = append(errs, fmt.Errorf("zkcoord: mode %q must be %q or %q", c.Mode, ModeSequential, ModeEphemeral))
	}
	if err := CheckSessionTimeout(c.SessionTimeout); err != nil {
		errs = append(errs, fmt.Errorf("zkcoord: session timeout %s %v", c.SessionTimeout, err))
	}
	if c.ConnectTimeout < 0 {
		errs = append(errs, fmt.Errorf("zkcoord: connect timeout %s must not be negative", c.ConnectTimeout))
	}
	if c.Margin < 0 || c.Margin >= c.SessionTimeout/2 {
		errs = append(errs, fmt.Errorf("zkcoord: margin %s must be at least 0 and below half the session timeout (%s)", c.Margin, c.SessionTimeout/2))
	}
	if c.Identity != "" {
		if _, _, err := splitIdentity(c.Identity); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range c.Auth {
		switch {
		case a.Scheme == "":
			errs = append(errs, errors.New("zkcoord: an auth credential has no scheme"))
		case a.Scheme == "digest" && !validDigest(a.Secret):
			// The secret itself stays out of the message.
			errs = append(errs, errors.New("zkcoord: a digest credential must be user:password, both non-empty"))
		}
	}
	return errors.Join(errs...)
}

// Limits of SessionTimeout asked for. ZooKeeper counts it in whole
// milliseconds; the server clamps what it grants further (by default to 2 to
// 20 of its ticks).
const (
	MinSessionTimeout = time.Millisecond
	MaxSessionTimeout = time.Hour
)

// CheckSessionTimeout reports whether d can be asked for as a session
// timeout: whole milliseconds, MinSessionTimeout to MaxSessionTimeout. The
// error says what is wrong, without d: the caller names the field.
// Validate applies it to a SessionTimeout that is set.
func CheckSessionTimeout(d time.Duration) error {
	switch {
	case d < MinSessionTimeout:
		return fmt.Errorf("must be at least %s", MinSessionTimeout)
	case d > MaxSessionTimeout:
		return fmt.Errorf("must be at most %s", MaxSessionTimeout)
	case d%time.Millisecond != 0:
		return errors.New("must be whole milliseconds")
	}
	return nil
}

// splitIdentity splits an "ip:port" identity as Leaf stores it.
func splitIdentity(id string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(id)
	if err != nil || host == "" || port == "" {
		return "", "", fmt.Errorf("%w: identity %q must be host:port, such as 10.0.0.5:7070", ErrBadName, id)
	}
	if err := checkName("identity", id); err != nil {
		return "", "", err
	}
	return host, port, nil
}
