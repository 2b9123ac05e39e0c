package etcd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/idcoord/idcoord/coord"
)

// EmbeddedConfig configures an in-process, single-member etcd.
type EmbeddedConfig struct {
	// DataDir holds the member's data; it survives restarts.
	DataDir string
	// ClientAddr is the loopback host:port clients use, such as
	// "127.0.0.1:2379". The peer listener takes the next port up.
	ClientAddr string
	// StartTimeout bounds waiting for the member to be ready. Zero means 30s.
	StartTimeout time.Duration
	// Logger receives etcd's own warnings and errors; nil means none.
	Logger *zap.Logger
}

// Embedded is a running in-process etcd member.
type Embedded struct {
	etcd     *embed.Etcd
	endpoint string
	closing  *atomic.Bool // set by Close: the member's shutdown errors are expected
}

// StartEmbedded starts a single-member etcd in the same process and waits
// until it serves. The member is named "idcoord" and listens on loopback only.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("etcd: embedded mode needs a data-dir")
	}
	host, port, err := net.SplitHostPort(cfg.ClientAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd: embedded client address %q: %v", cfg.ClientAddr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65534 {
		return nil, fmt.Errorf("etcd: embedded client port %q must be 1..65534 (the peer port is the next one)", port)
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(p+1))}

	ec := embed.NewConfig()
	ec.Name = "idcoord"
	ec.Dir = cfg.DataDir
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	ec.InitialCluster = ec.Name + "=" + peerURL.String()
	ec.Logger = "zap"
	closing := new(atomic.Bool)
	quiet := zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &closingCore{Core: c, closing: closing} })
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(cfg.Logger.Named("embedded-etcd").
		WithOptions(zap.IncreaseLevel(zap.WarnLevel), quiet))
	// Keep history bounded: idcoord rewrites hw/ and leaf_forever/ keys often.
	ec.AutoCompactionMode = "periodic"
	ec.AutoCompactionRetention = "1h"

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("%w: starting embedded etcd in %s on %s: %v", coord.ErrUnreachable, cfg.DataDir, clientURL.Host, err)
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		return &Embedded{etcd: e, endpoint: clientURL.Host, closing: closing}, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("%w: embedded etcd failed: %v", coord.ErrUnreachable, err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("%w: embedded etcd not ready after %s", coord.ErrUnreachable, cfg.StartTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
}

// Endpoint is the host:port clients use.
func (e *Embedded) Endpoint() string { return e.endpoint }

// Close stops the member and waits for it.
func (e *Embedded) Close() {
	e.closing.Store(true)
	e.etcd.Close()
}

// closingCore drops the member's log entries once Close has begun: its
// listeners report their own closing as errors.
type closingCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c *closingCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.closing.Load() {
		return ce
	}
	return c.Core.Check(ent, ce)
}

func (c *closingCore) With(fields []zapcore.Field) zapcore.Core {
	return &closingCore{Core: c.Core.With(fields), closing: c.closing}
}
