package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
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
// record, a TTL after its last keepalive. Acquire then fails with
// coord.ErrClosed. Closing twice does nothing.
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

// Acquire claims a WorkerID: the sticky one, the StatefulSet ordinal, then a
// probe from a hash of the node name. Each try is one transaction; after the
// preferred ones fail, it lists the held WorkerIDs once and tries only free
// ones, so acquisition takes a bounded number of round trips.
func (b *Backend) Acquire(ctx context.Context, c coord.Claim) (coord.Lease, error) {
	if b.isClosed() {
		return nil, errClosed()
	}
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

// claim claims the first free WorkerID for c under lease id, as
// coord.Search picks them: the sticky one from leaf_forever/<node>, the
// StatefulSet ordinal, then a probe from a hash of the node name.
func (b *Backend) claim(ctx context.Context, c coord.Claim, id clientv3.LeaseID, granted time.Time) (*lease, error) {
	sticky, err := coord.LastWorkerID(ctx, b, c)
	if err != nil {
		return nil, err
	}
	return coord.Search(ctx, b.cfg.Cluster, c, sticky, nil, b.heldWorkers,
		func(ctx context.Context, wid int64) (*lease, bool, map[int64]bool, error) {
			l, ok, err := b.tryClaim(ctx, c, id, wid, granted)
			return l, ok, nil, err
		})
}

// tryClaim claims wid in one transaction, reading its W in the same step.
//
// The same transaction creates the peer record leaf_temporary/<node> under
// the lease, only if no other lease holds it: one node name is one live
// process, as ZooKeeper's ephemeral znode makes it. A record under another
// lease of this Backend (a node taking a fresh WorkerID before giving its
// old one back) moves to the new lease. When the compare on the peer record
// fails, the transaction reads the record instead, to tell a live name
// (coord.ErrNodeLive) from a WorkerID taken (false).
func (b *Backend) tryClaim(ctx context.Context, c coord.Claim, id clientv3.LeaseID, wid int64, granted time.Time) (*lease, bool, error) {
	holder := encode(Holder{Node: c.Node, Admin: c.Admin, Since: time.Now().UTC()})
	peer := encode(coord.Peer{Node: c.Node, Admin: c.Admin, WorkerID: wid})
	var peerLease clientv3.LeaseID // the lease the peer record is expected under; none: absent
	for range 3 {
		peerCmp := clientv3.Compare(clientv3.CreateRevision(peerKey(c.Node)), "=", 0)
		if peerLease != clientv3.NoLease {
			peerCmp = clientv3.Compare(clientv3.LeaseValue(peerKey(c.Node)), "=", peerLease)
		}
		countTrip(ctx)
		resp, err := b.kv.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(workerKey(wid)), "=", 0), peerCmp).
			Then(
				clientv3.OpPut(workerKey(wid), holder, clientv3.WithLease(id)),
				clientv3.OpPut(peerKey(c.Node), peer, clientv3.WithLease(id)),
				clientv3.OpGet(highWaterKey(wid)),
			).
			Else(clientv3.OpGet(peerKey(c.Node)), clientv3.OpGet(workerKey(wid))).
			Commit()
		if err != nil {
			return nil, false, fmt.Errorf("%w: claiming WorkerId %d: %v", storeFault(err), wid, err)
		}
		era := b.observe(resp.Header)
		if resp.Succeeded {
			return b.claimed(ctx, c, id, wid, granted, resp, era)
		}
		kvs := resp.Responses[0].GetResponseRange().Kvs
		switch {
		case len(kvs) == 0 && peerLease == clientv3.NoLease,
			len(kvs) > 0 && kvs[0].Lease != 0 && clientv3.LeaseID(kvs[0].Lease) == peerLease:
			// The peer record is as expected: the WorkerID is taken, and
			// for good when its holder record is under no lease.
			if w := resp.Responses[1].GetResponseRange().Kvs; len(w) > 0 && w[0].Lease == 0 {
				return nil, false, b.skip(workerKey(wid), wid, coord.StuckHolderError(workerKey(wid), wid,
					"is under no lease and never expires (idcoord did not write it)"))
			}
			return nil, false, nil
		case len(kvs) == 0:
			peerLease = clientv3.NoLease // our other lease let it go meanwhile
		case kvs[0].Lease != 0 && b.isGranted(clientv3.LeaseID(kvs[0].Lease)):
			peerLease = clientv3.LeaseID(kvs[0].Lease)
		default:
			return nil, false, b.nodeLive(ctx, c, kvs[0])
		}
	}
	return nil, false, fmt.Errorf("%w: %s keeps changing hands; try again", coord.ErrNodeLive, peerKey(c.Node))
}

// claimed makes the lease of a successful claim transaction.
func (b *Backend) claimed(ctx context.Context, c coord.Claim, id clientv3.LeaseID, wid int64, granted time.Time, resp *clientv3.TxnResponse, era int) (*lease, bool, error) {
	var w time.Time
	if kvs := resp.Responses[2].GetResponseRange().Kvs; len(kvs) > 0 {
		hw, err := decode[HighWater](highWaterKey(wid), kvs[0].Value)
		if err != nil {
			// Give the WorkerID back before going on: the claim holds it.
			if uerr := b.unclaim(ctx, id, wid, resp.Header.Revision); uerr != nil {
				return nil, false, uerr
			}
			return nil, false, b.skip(highWaterKey(wid), wid, err)
		}
		w = hw.Time()
	}
	l, err := newLease(b, c, id, wid, resp.Header.Revision, w, granted, era)
	if err != nil {
		return nil, false, err // closed meanwhile; Acquire revokes the lease if it can
	}
	b.cfg.Logger.Info("claimed WorkerId", zap.Int64("worker-id", wid), zap.String("node", c.Node),
		zap.Time("high-water", w), zap.Int64("create-revision", resp.Header.Revision))
	return l, true, nil
}

// unclaim deletes workers/<wid> as the claim of lease id at revision rev
// made it, after its W turned out bad. The peer record stays under the
// lease: the next claim moves it (see tryClaim), and Acquire revokes the
// lease when none succeeds. An error ends the search; the revoke then
// removes the key with the lease.
func (b *Backend) unclaim(ctx context.Context, id clientv3.LeaseID, wid, rev int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.DialTimeout)
	defer cancel()
	countTrip(ctx)
	_, err := b.kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(workerKey(wid)), "=", rev),
			clientv3.Compare(clientv3.LeaseValue(workerKey(wid)), "=", id)).
		Then(clientv3.OpDelete(workerKey(wid))).
		Commit()
	if err != nil {
		return fmt.Errorf("%w: giving back WorkerId %d, whose W is bad: %v", storeFault(err), wid, err)
	}
	return nil
}

// skip logs and counts a WorkerID passed over because its record key needs
// an operator, and returns err (which wraps coord.ErrBadRecord), so that
// coord.Search goes on with the next candidate.
func (b *Backend) skip(key string, wid int64, err error) error {
	b.badRecords.Add(1)
	b.cfg.Logger.Warn("skipping a WorkerId whose record needs an operator", zap.Int64("worker-id", wid),
		zap.String("key", Prefix(b.cfg.Cluster)+key), zap.Error(err))
	return err
}

// BadRecords counts the records acquisitions through b skipped: a W that
// cannot be read, a holder record under no lease. Each skip counts, so one
// record met by several acquisitions counts several times.
func (b *Backend) BadRecords() int64 { return b.badRecords.Load() }

// nodeLive is the error for a node name whose peer record kv is held by a
// lease of another process (or by none). It asks etcd how long that lease
// has to live, so that a restarting node can wait for a crashed
// predecessor's lease to expire, and refuse a name that stays live.
func (b *Backend) nodeLive(ctx context.Context, c coord.Claim, kv *mvccpb.KeyValue) error {
	key := Prefix(b.cfg.Cluster) + peerKey(c.Node)
	where := key
	if p, err := decode[coord.Peer](key, kv.Value); err == nil {
		where = fmt.Sprintf("%s (WorkerId %d, admin %s)", key, p.WorkerID, p.Admin)
	}
	if kv.Lease == 0 {
		return &coord.NodeLiveError{Node: c.Node, Detail: fmt.Sprintf(
			"node.name %q is taken by %s, which is under no lease and never expires (idcoord did not write it): delete it, or give this node another --node.name",
			c.Node, where)}
	}
	holder := fmt.Sprintf("%x", kv.Lease)
	within := b.cfg.TTL
	countTrip(ctx)
	if ttl, err := b.client.TimeToLive(ctx, clientv3.LeaseID(kv.Lease)); err == nil && ttl.TTL > 0 {
		// A lease whose holder died is never renewed again: it goes within
		// its granted TTL of any instant.
		within = time.Duration(max(ttl.GrantedTTL, ttl.TTL)) * time.Second
	}
	return &coord.NodeLiveError{Node: c.Node, Holder: holder, Within: within, Detail: fmt.Sprintf(
		"node.name %q: %s is under etcd lease %s (were its process dead, the lease would expire within %s); "+
			"stop that process, or give this one another --node.name",
		c.Node, where, holder, within)}
}

// heldWorkers lists the WorkerIDs held now. A holder record under no lease
// is left out, so that the search offers its WorkerID and tryClaim reports
// it. The listing reads values too (a hundred bytes or so per holder): etcd
// answers a keys-only range without the lease of each key.
func (b *Backend) heldWorkers(ctx context.Context) (map[int64]bool, error) {
	countTrip(ctx)
	resp, err := b.kv.Get(ctx, workersDir, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("%w: listing WorkerIds: %v", storeFault(err), err)
	}
	held := make(map[int64]bool, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if kv.Lease == 0 {
			continue // stuck: left to tryClaim, which reports it
		}
		if wid, err := strconv.ParseInt(strings.TrimPrefix(string(kv.Key), workersDir), 10, 64); err == nil {
			held[wid] = true
		}
	}
	return held, nil
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
