package etcd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"

	"github.com/idcoord/idcoord/coord"
)

// EmbeddedConfig configures an in-process, single-member etcd.
type EmbeddedConfig struct {
	// DataDir holds the member's data; it survives restarts. The member
	// locks it (DataDir/idcoord.lock) for as long as it runs.
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
	closing  *atomic.Bool // set once stopping begins: the member's shutdown errors are expected
	servers  *grpcServers
	lock     *dirLock
	once     sync.Once
}

// StartEmbedded locks DataDir, starts a single-member etcd in the same
// process and waits until it serves. The member is named "idcoord" and
// listens on loopback only.
//
// It fails at once with a *DataDirInUseError (matching ErrDataDirInUse)
// when another member runs on DataDir. Every wait watches ctx; when ctx is
// done first it returns ctx's error, and a start still under way in etcd is
// closed in the background once etcd returns.
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(p+1))}

	m := &Embedded{endpoint: clientURL.Host, closing: new(atomic.Bool), servers: newGRPCServers(), lock: lock}
	ec := embed.NewConfig()
	ec.Name = "idcoord"
	ec.Dir = cfg.DataDir
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	ec.InitialCluster = ec.Name + "=" + peerURL.String()
	ec.Logger = "zap"
	quiet := zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &closingCore{Core: c, closing: m.closing} })
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(cfg.Logger.Named("embedded-etcd").
		WithOptions(zap.IncreaseLevel(zap.WarnLevel), quiet))
	ec.ServiceRegister = m.servers.add
	// Keep history bounded: idcoord rewrites hw/ and leaf_forever/ keys often.
	ec.AutoCompactionMode = "periodic"
	ec.AutoCompactionRetention = "1h"

	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	// embed.StartEtcd takes no context and can block (on a lock of its
	// database held by a process that is not an idcoord): wait for it
	// beside ctx.
	started := make(chan startResult, 1)
	go func() {
		e, err := embed.StartEtcd(ec)
		started <- startResult{e, err}
	}()
	abandon := func() {
		m.closing.Store(true)
		go func() {
			if r := <-started; r.err == nil {
				m.etcd = r.e
				m.stop()
			} else {
				m.lock.release()
			}
		}()
	}
	select {
	case r := <-started:
		if r.err != nil {
			lock.release()
			return nil, fmt.Errorf("%w: starting embedded etcd in %s on %s: %v", coord.ErrUnreachable, cfg.DataDir, clientURL.Host, r.err)
		}
		m.etcd = r.e
	case <-timer.C:
		abandon()
		return nil, fmt.Errorf("%w: embedded etcd in %s not started after %s", coord.ErrUnreachable, cfg.DataDir, cfg.StartTimeout)
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	}
	// Ready once the member has joined its cluster of one and serves
	// clients: its gRPC server is made after the former, in the background.
	ready := func() <-chan struct{} {
		c := make(chan struct{})
		go func() {
			defer close(c)
			select {
			case <-m.etcd.Server.ReadyNotify():
			case <-m.etcd.Server.StopNotify():
				return
			}
			select {
			case <-m.servers.registered:
			case <-m.etcd.Server.StopNotify():
			}
		}()
		return c
	}()
	select {
	case <-ready:
		return m, nil
	case err := <-m.etcd.Err():
		m.stop()
		return nil, fmt.Errorf("%w: embedded etcd failed: %v", coord.ErrUnreachable, err)
	case <-timer.C:
		m.stop()
		return nil, fmt.Errorf("%w: embedded etcd not ready after %s", coord.ErrUnreachable, cfg.StartTimeout)
	case <-ctx.Done():
		m.stop()
		return nil, ctx.Err()
	}
}

type startResult struct {
	e   *embed.Etcd
	err error
}

// Endpoint is the host:port clients use.
func (e *Embedded) Endpoint() string { return e.endpoint }

// Close stops the member, waits for it and unlocks the data dir. Client
// connections still open (other nodes of the cluster, watching) are cut
// rather than waited for: etcd would wait up to its request timeout (7s)
// for their streams to end, and they never end by themselves. Call it once
// the WorkerId of this process has been released.
func (e *Embedded) Close() { e.stop() }

func (e *Embedded) stop() {
	e.once.Do(func() {
		e.closing.Store(true)
		e.servers.stop()
		e.etcd.Close()
		e.lock.release()
	})
}

// grpcServers are the member's gRPC servers, handed over by etcd through
// embed.Config.ServiceRegister.
type grpcServers struct {
	registered chan struct{} // closed once the first one is handed over
	mu         sync.Mutex
	all        []*grpc.Server
}

func newGRPCServers() *grpcServers { return &grpcServers{registered: make(chan struct{})} }

func (g *grpcServers) add(s *grpc.Server) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.all) == 0 {
		close(g.registered)
	}
	g.all = append(g.all, s)
}

// stop closes every connection and stream at once.
func (g *grpcServers) stop() {
	g.mu.Lock()
	all := g.all
	g.mu.Unlock()
	for _, s := range all {
		s.Stop()
	}
}

// closingCore drops the member's log entries once stopping has begun: its
// listeners and streams report their own closing as errors.
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
