package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/namespace"
	"go.uber.org/zap"

	"github.com/idcoord/idcoord/coord"
)

// Defaults for Config's zero fields.
const (
	DefaultTTL         = 10 * time.Second
	DefaultFenceMargin = time.Second
	DefaultDialTimeout = 5 * time.Second
	DefaultCluster     = "default"
)

// Config configures a Backend. Zero fields take the defaults above.
type Config struct {
	// Endpoints of the etcd cluster, such as "127.0.0.1:2379".
	Endpoints []string
	// Username and Password for etcd auth; empty means none.
	Username, Password string
	// TLS for the client connection; nil means plain text.
	TLS *tls.Config
	// DialTimeout bounds connecting to etcd.
	DialTimeout time.Duration
	// Cluster names the namespace /idcoord/<cluster>/.
	Cluster string
	// TTL of each lease: whole seconds, at least 2s (etcd's minimum is about
	// 1.5 election timeouts).
	TTL time.Duration
	// FenceMargin is taken off the lease deadline; it must be below TTL/2.
	// Zero means the smaller of DefaultFenceMargin and TTL/4.
	FenceMargin time.Duration
	// Logger; nil means no logging.
	Logger *zap.Logger
}

func (c *Config) setDefaults() {
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Cluster == "" {
		c.Cluster = DefaultCluster
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.FenceMargin == 0 {
		c.FenceMargin = min(DefaultFenceMargin, c.TTL/4)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate checks the configuration, defaults applied.
func (c Config) Validate() error {
	c.setDefaults()
	switch {
	case len(c.Endpoints) == 0:
		return errors.New("etcd: no endpoints")
	case strings.ContainsAny(c.Cluster, "/ \t\n"):
		return fmt.Errorf("etcd: cluster name %q must not contain '/' or spaces", c.Cluster)
	case c.TTL < 2*time.Second || c.TTL%time.Second != 0:
		return fmt.Errorf("etcd: lease TTL %s must be whole seconds and at least 2s", c.TTL)
	case c.FenceMargin <= 0 || c.FenceMargin >= c.TTL/2:
		return fmt.Errorf("etcd: fence margin %s must be above 0 and below half the TTL (%s)", c.FenceMargin, c.TTL/2)
	}
	return nil
}

// roundTrips counts requests made while acquiring, for the benchmarks that
// show acquisition takes O(1) round trips.
var roundTrips atomic.Int64

// Backend is the etcd coordination store. It is safe for concurrent use.
type Backend struct {
	cfg    Config
	client *clientv3.Client
	kv     clientv3.KV      // namespaced to the cluster
	watch  clientv3.Watcher // namespaced to the cluster
}

var _ coord.Backend = (*Backend)(nil)

// New connects to etcd. It fails with an error wrapping coord.ErrUnreachable
// when no endpoint answers within DialTimeout or ctx, and coord.ErrDenied
// when etcd refuses the credentials, or when TLS fails over certificates
// (the client does not trust the server's, or the server rejects the
// client's or its missing one).
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		Username:    cfg.Username,
		Password:    cfg.Password,
		TLS:         cfg.TLS,
		DialTimeout: cfg.DialTimeout,
		Logger:      cfg.Logger.Named("etcd-client").WithOptions(zap.IncreaseLevel(zap.ErrorLevel)),
		Context:     context.WithoutCancel(ctx),
	})
	if err != nil {
		return nil, connectError(ctx, cfg, err)
	}
	b := &Backend{
		cfg:    cfg,
		client: client,
		kv:     namespace.NewKV(client.KV, Prefix(cfg.Cluster)),
		watch:  namespace.NewWatcher(client.Watcher, Prefix(cfg.Cluster)),
	}
	// clientv3.New does not wait for a connection; prove one.
	pctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if _, err := b.kv.Get(pctx, "health-check", clientv3.WithCountOnly()); err != nil {
		client.Close()
		return nil, connectError(ctx, cfg, err)
	}
	return b, nil
}

// Client returns the underlying client, for operator tools.
func (b *Backend) Client() *clientv3.Client { return b.client }

// Close closes the client. Leases are not released.
func (b *Backend) Close() error { return b.client.Close() }

// Acquire claims a WorkerID: the sticky one, the StatefulSet ordinal, then a
// probe from a hash of the node name. Each try is one transaction; after the
// preferred ones fail, it lists the held WorkerIDs once and tries only free
// ones, so acquisition takes a bounded number of round trips.
func (b *Backend) Acquire(ctx context.Context, c coord.Claim) (coord.Lease, error) {
	sent := time.Now() // the server starts the TTL after this instant
	roundTrips.Add(1)
	grant, err := b.client.Grant(ctx, int64(b.cfg.TTL/time.Second))
	if err != nil {
		return nil, fmt.Errorf("%w: granting a lease: %v", storeFault(err), err)
	}
	l, err := b.claim(ctx, c, grant.ID, sent)
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		b.client.Revoke(rctx, grant.ID) //nolint:errcheck // best effort: the lease expires anyway
		return nil, err
	}
	return l, nil
}

// claim claims the first free WorkerID for c under lease id, as
// coord.FirstFree walks them: the sticky one from leaf_forever/<node>, the
// StatefulSet ordinal, then a probe from a hash of the node name.
func (b *Backend) claim(ctx context.Context, c coord.Claim, id clientv3.LeaseID, granted time.Time) (*lease, error) {
	sticky, err := coord.LastWorkerID(ctx, b, c.Node)
	if err != nil {
		return nil, err
	}
	return coord.FirstFree(ctx, b.cfg.Cluster, c, sticky, b.heldWorkers,
		func(ctx context.Context, wid int64) (*lease, bool, error) {
			return b.tryClaim(ctx, c, id, wid, granted)
		})
}

// tryClaim claims wid in one transaction, reading its W in the same step.
func (b *Backend) tryClaim(ctx context.Context, c coord.Claim, id clientv3.LeaseID, wid int64, granted time.Time) (*lease, bool, error) {
	holder := encode(Holder{Node: c.Node, Admin: c.Admin, Since: time.Now().UTC()})
	peer := encode(coord.Peer{Node: c.Node, Admin: c.Admin, WorkerID: wid})
	roundTrips.Add(1)
	resp, err := b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(workerKey(wid)), "=", 0)).
		Then(
			clientv3.OpPut(workerKey(wid), holder, clientv3.WithLease(id)),
			clientv3.OpPut(peerKey(c.Node), peer, clientv3.WithLease(id)),
			clientv3.OpGet(highWaterKey(wid)),
		).Commit()
	if err != nil {
		return nil, false, fmt.Errorf("%w: claiming WorkerId %d: %v", storeFault(err), wid, err)
	}
	if !resp.Succeeded {
		return nil, false, nil
	}
	var w time.Time
	if kvs := resp.Responses[2].GetResponseRange().Kvs; len(kvs) > 0 {
		hw, err := decode[HighWater](highWaterKey(wid), kvs[0].Value)
		if err != nil {
			return nil, false, err
		}
		w = hw.Time()
	}
	l := newLease(b, c, id, wid, resp.Header.Revision, w, granted)
	b.cfg.Logger.Info("claimed WorkerId", zap.Int64("worker-id", wid), zap.String("node", c.Node),
		zap.Time("high-water", w), zap.Int64("create-revision", resp.Header.Revision))
	return l, true, nil
}

// heldWorkers lists the WorkerIDs held now, keys only.
func (b *Backend) heldWorkers(ctx context.Context) (map[int64]bool, error) {
	roundTrips.Add(1)
	resp, err := b.kv.Get(ctx, workersDir, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("%w: listing WorkerIds: %v", storeFault(err), err)
	}
	held := make(map[int64]bool, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if wid, err := strconv.ParseInt(strings.TrimPrefix(string(kv.Key), workersDir), 10, 64); err == nil {
			held[wid] = true
		}
	}
	return held, nil
}

// Peers lists leaf_temporary/.
func (b *Backend) Peers(ctx context.Context) ([]coord.Peer, error) {
	resp, err := b.kv.Get(ctx, temporaryDir, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("%w: listing peers: %v", storeFault(err), err)
	}
	peers := make([]coord.Peer, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		p, err := decode[coord.Peer](string(kv.Key), kv.Value)
		if err != nil {
			b.cfg.Logger.Warn("skipping a bad peer record", zap.Error(err))
			continue
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// LastReport reads leaf_forever/<node>.
func (b *Backend) LastReport(ctx context.Context, node string) (coord.Report, bool, error) {
	roundTrips.Add(1)
	resp, err := b.kv.Get(ctx, foreverKey(node))
	if err != nil {
		return coord.Report{}, false, fmt.Errorf("%w: reading %s: %v", storeFault(err), foreverKey(node), err)
	}
	if len(resp.Kvs) == 0 {
		return coord.Report{}, false, nil
	}
	r, err := decode[coord.Report](foreverKey(node), resp.Kvs[0].Value)
	return r, err == nil, err
}
