package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
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
	DefaultCluster     = coord.DefaultCluster
)

// MinTTL is the shortest lease TTL: about the shortest lease etcd grants
// (1.5x its default election timeout); it silently lengthens shorter ones,
// and a node that counted on the shorter one would fence itself late.
const MinTTL = 2 * time.Second

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
	// Cluster names the namespace /idcoord/<cluster>/; see coord.CheckName.
	Cluster string
	// TTL of each lease: whole seconds, at least MinTTL (see CheckTTL).
	TTL time.Duration
	// FenceMargin is taken off the lease deadline; it must be below TTL/2.
	// Zero means the smaller of DefaultFenceMargin and TTL/4.
	FenceMargin time.Duration
	// Logger; nil means no logging.
	Logger *zap.Logger
}

// DefaultConfig returns a Config with every default filled in and no
// Endpoints.
func DefaultConfig() Config {
	return Config{DialTimeout: DefaultDialTimeout, Cluster: DefaultCluster, TTL: DefaultTTL,
		FenceMargin: min(DefaultFenceMargin, DefaultTTL/4), Logger: zap.NewNop()}
}

// setDefaults sets c's zero fields to the defaults. The fence margin's
// default follows the TTL.
func (c *Config) setDefaults() {
	d := DefaultConfig()
	orDefault(&c.DialTimeout, d.DialTimeout)
	orDefault(&c.Cluster, d.Cluster)
	orDefault(&c.TTL, d.TTL)
	orDefault(&c.FenceMargin, min(DefaultFenceMargin, c.TTL/4))
	orDefault(&c.Logger, d.Logger)
}

// orDefault sets *v to def if *v is the zero value.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// CheckTTL reports whether d can be a lease TTL: whole seconds, at least
// MinTTL. The error says what is wrong, without d: the caller names the
// field. Validate applies it to a TTL that is set.
func CheckTTL(d time.Duration) error {
	switch {
	case d < 0:
		return errors.New("must not be negative")
	case d%time.Second != 0:
		return errors.New("etcd leases last whole seconds")
	case d < MinTTL:
		return fmt.Errorf("below %s; etcd grants no shorter lease (1.5x its election timeout)", MinTTL)
	}
	return nil
}

// Validate checks the configuration, defaults applied.
func (c Config) Validate() error {
	c.setDefaults()
	if len(c.Endpoints) == 0 {
		return errors.New("etcd: no endpoints")
	}
	if err := coord.CheckName(c.Cluster); err != nil {
		return fmt.Errorf("etcd: cluster name %q %v", c.Cluster, err)
	}
	if err := CheckTTL(c.TTL); err != nil {
		return fmt.Errorf("etcd: lease TTL %s: %v", c.TTL, err)
	}
	if c.FenceMargin <= 0 || c.FenceMargin >= c.TTL/2 {
		return fmt.Errorf("etcd: fence margin %s must be above 0 and below half the TTL (%s)", c.FenceMargin, c.TTL/2)
	}
	return nil
}

// roundTrips counts requests made while acquiring, for the benchmarks that
// show acquisition takes O(1) round trips.
var roundTrips atomic.Int64

// tripCounterKey is a context key: a *atomic.Int64 under it counts the round
// trips of one acquisition, which roundTrips cannot tell apart when several
// run at once.
type tripCounterKey struct{}

// countTrip counts one request made while acquiring.
func countTrip(ctx context.Context) {
	roundTrips.Add(1)
	if n, ok := ctx.Value(tripCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// Backend is the etcd coordination store. It is safe for concurrent use.
type Backend struct {
	cfg    Config
	client *clientv3.Client
	kv     clientv3.KV      // namespaced to the cluster
	watch  clientv3.Watcher // namespaced to the cluster

	history storeHistory // what this client has seen of the store's history

	badRecords atomic.Int64 // records acquisitions skipped (see coord.Skipped)

	// maxWorker is the cluster's largest WorkerID, once a layout was read
	// or a claim made: the range SamplePeers draws from.
	maxWorker atomic.Int64
	peerReads atomic.Int64 // SamplePeers' transactions and listings

	mu struct {
		sync.Mutex
		// granted holds the leases this Backend granted and has not seen
		// end: a peer record under one of them is this process's own.
		granted map[clientv3.LeaseID]bool
		// live holds the leases not lost yet: Close ends them.
		live   map[*lease]struct{}
		closed bool
	}
}

// errClosed is the error of a lease or call of a closed Backend.
func errClosed() error { return fmt.Errorf("%w: the etcd backend was closed", coord.ErrClosed) }

var (
	_ coord.Backend          = (*Backend)(nil)
	_ coord.BadRecordCounter = (*Backend)(nil)
)

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
	if resp, err := b.kv.Get(pctx, "health-check", clientv3.WithCountOnly()); err == nil {
		b.observe(resp.Header) // the first answer sets the baseline
	} else {
		client.Close()
		return nil, connectError(ctx, cfg, err)
	}
	return b, nil
}

// Client returns the underlying client, for operator tools.
func (b *Backend) Client() *clientv3.Client { return b.client }

// Close ends every live lease with an error wrapping coord.ErrClosed (Done
// closed, Deadline past), waits for its goroutines, then closes the client.
// Leases are not released: no final W is written (W as last reserved covers
// every ID issued), and etcd expires each lease, with its WorkerID and peer
// record, a TTL after its last keepalive. Acquire and SamplePeers then fail
// with coord.ErrClosed. Closing twice does nothing.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.mu.closed {
		b.mu.Unlock()
		return nil
	}
	b.mu.closed = true
	live := make([]*lease, 0, len(b.mu.live))
	for l := range b.mu.live {
		live = append(live, l)
	}
	b.mu.Unlock()
	for _, l := range live {
		l.lose(errClosed())
	}
	// Before the client goes: a goroutine left running would retry against
	// the closed client for ever.
	for _, l := range live {
		l.wg.Wait()
	}
	return b.client.Close()
}

// register adds l to the live leases, unless the Backend is closed.
func (b *Backend) register(l *lease) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.closed {
		return errClosed()
	}
	if b.mu.live == nil {
		b.mu.live = map[*lease]struct{}{}
	}
	b.mu.live[l] = struct{}{}
	return nil
}

// forget removes a lost lease from the live ones.
func (b *Backend) forget(l *lease) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.mu.live, l)
}

func (b *Backend) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.closed
}

// Acquire claims a WorkerID: the sticky one, the StatefulSet ordinal, then
// one drawn from the free ones of the held listing. It grants a lease, reads
// the node's clock report and the listing in one transaction (none when
// c.Sticky carries the report), then claims: 3 round trips, or 2 when
// c.Sticky is free, whatever the occupancy, plus one per claim lost to a
// node claiming the same WorkerID at the same moment (each failed claim
// reads a fresh listing in the same round trip).
func (b *Backend) Acquire(ctx context.Context, c coord.Claim) (coord.Lease, error) {
	if b.isClosed() {
		return nil, errClosed()
	}
	b.knowRange(c.MaxWorkerID)
	sent := time.Now() // the server starts the TTL after this instant
	countTrip(ctx)
	grant, err := b.client.Grant(ctx, int64(b.cfg.TTL/time.Second))
	if err != nil {
		return nil, fmt.Errorf("%w: granting a lease: %v", storeFault(err), err)
	}
	b.setGranted(grant.ID, true)
	l, err := b.claim(ctx, c, grant.ID, sent)
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if _, rerr := b.client.Revoke(rctx, grant.ID); rerr == nil || errors.Is(rerr, rpctypes.ErrLeaseNotFound) {
			b.setGranted(grant.ID, false)
		} // else best effort: the lease expires anyway
		return nil, err
	}
	return l, nil
}

func (b *Backend) setGranted(id clientv3.LeaseID, live bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.granted == nil {
		b.mu.granted = map[clientv3.LeaseID]bool{}
	}
	if live {
		b.mu.granted[id] = true
	} else {
		delete(b.mu.granted, id)
	}
}

func (b *Backend) isGranted(id clientv3.LeaseID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.granted[id]
}

// LastReport reads leaf_forever/<node>.
func (b *Backend) LastReport(ctx context.Context, node string) (coord.Report, bool, error) {
	countTrip(ctx)
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
