package coord

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors shared by every backend. Backends wrap them with details.
var (
	// ErrNoFreeWorker: every WorkerID in range is held or reserved.
	ErrNoFreeWorker = errors.New("coord: no free WorkerId")
	// ErrFenced: the lease can no longer prove that it owns its WorkerID
	// (revoked, expired, taken over, or past its deadline).
	ErrFenced = errors.New("coord: lease fenced")
	// ErrClosed: the lease or backend was closed.
	ErrClosed = errors.New("coord: closed")
	// ErrUnreachable: the store could not be reached in time.
	ErrUnreachable = errors.New("coord: store unreachable")
	// ErrDenied: the store refused the credentials or the permission. It is
	// a configuration error: retrying does not help.
	ErrDenied = errors.New("coord: access denied by the store")
	// ErrNodeLive: another live process already uses this node name. Two
	// live nodes with one name would share their clock reports and sticky
	// WorkerID, and hide each other from the peer clock check. Errors of
	// type *NodeLiveError match it.
	ErrNodeLive = errors.New("coord: node name is live in another process")
	// ErrBadRecord: a record in the store could not be decoded.
	ErrBadRecord = errors.New("coord: bad record in store")
)

// NodeLiveError is an ErrNodeLive that names the holder of the node name
// and bounds how long the name outlives a holder that has died, so that a
// restarting node can tell its crashed predecessor from a live process.
type NodeLiveError struct {
	// Node is the node name.
	Node string
	// Holder identifies what keeps the name live (an etcd lease, a
	// ZooKeeper session). The same Holder seen again later is the same
	// holding.
	Holder string
	// Within bounds how long a holder that has died keeps the name: a
	// Holder still seen more than Within after an earlier sighting is alive.
	Within time.Duration
	// Detail says where the name is held, by whom, and how to fix it.
	Detail string
}

// Error returns ErrNodeLive's text with the detail.
func (e *NodeLiveError) Error() string { return fmt.Sprintf("%v: %s", ErrNodeLive, e.Detail) }

// Is makes every NodeLiveError match ErrNodeLive.
func (e *NodeLiveError) Is(target error) bool { return target == ErrNodeLive }

// NotReleasedError is the error of a Lease.Release that could not give the
// WorkerID back, because the store did not answer (Err then wraps
// ErrUnreachable) or refused. The WorkerID stays held, and unusable, until
// its lease or session expires by itself, at most Within after the error.
// Nothing is lost: W was persisted before anything was issued under it.
type NotReleasedError struct {
	WorkerID int64
	Within   time.Duration
	Err      error
}

// Error says which WorkerID is still held, why, and for how long.
func (e *NotReleasedError) Error() string {
	return fmt.Sprintf("WorkerId %d not released (%v); it frees itself when its lease expires in ≤%s", e.WorkerID, e.Err, e.Within)
}

// Unwrap returns why the release failed.
func (e *NotReleasedError) Unwrap() error { return e.Err }

// Claim says who asks for a WorkerID and from which range.
type Claim struct {
	// Node is the node's stable identity (node.name).
	Node string
	// Admin is the address peers use to reach the node's admin listener.
	Admin string
	// MaxWorkerID is the largest WorkerID the layout can hold.
	MaxWorkerID int64
	// Reserved WorkerIDs are never handed out.
	Reserved []int64
	// Sticky is the WorkerID of the node's last clock report, for a caller
	// that read the report already (see LastWorkerID): the backend then
	// does not read leaf_forever/<node> a second time. 0, the zero value,
	// means not read: the backend reads it. -1 means the node has no
	// report that can be read.
	Sticky int64
}

// Backend is a coordination store. Implementations are safe for concurrent
// use.
type Backend interface {
	// Acquire claims a WorkerID for c and returns the Lease that holds it.
	// The returned lease's HighWater is the W read in the same step as the
	// claim. A WorkerID whose records need an operator is skipped (see
	// Skipped); an exhaustion that skipped some wraps ErrBadRecord too.
	// Errors wrap ErrNoFreeWorker, ErrNodeLive, ErrUnreachable,
	// ErrClosed (after Close) or ctx's error. c.Node must not be live through another lease or session: the
	// claim is refused with ErrNodeLive, so that one node name is one
	// process.
	Acquire(ctx context.Context, c Claim) (Lease, error)
	// Peers lists the live nodes of the cluster, this one included.
	Peers(ctx context.Context) ([]Peer, error)
	// LastReport returns the node's last clock report (leaf_forever), and
	// false when there is none.
	LastReport(ctx context.Context, node string) (Report, bool, error)
	// Layout stores proposed as the cluster's layout (LayoutKey) unless a
	// layout is stored already, in one atomic step, and returns the stored
	// layout: proposed when this call or an earlier one stored it. It never
	// rewrites a stored layout. When the stored layout is not proposed, it
	// returns it with a *LayoutMismatchError. Other errors wrap ErrBadRecord
	// (naming the key) when the stored layout cannot be read,
	// ErrUnreachable, ErrDenied, or ctx's error. A node calls it before it
	// claims a WorkerID: two layouts in one cluster would repeat IDs.
	Layout(ctx context.Context, proposed LayoutRecord) (LayoutRecord, error)
	// Close releases the backend's client. It does not release leases (no
	// final W is written; the store expires them): it ends every live lease
	// with an error wrapping ErrClosed (Done closed, Deadline in the past)
	// and waits for the lease's goroutines. Closing twice does nothing.
	Close() error
}

// PeerSampler is a Backend that draws a sample of the live peers without
// reading every peer record. The peer clock check samples through it: it
// needs a few peers at random, not a census, and a census by every node
// every period costs the store N² reads, and a copy kept by a watch costs
// it N events for every node that joins or leaves.
type PeerSampler interface {
	// SamplePeers returns at most k live nodes other than self, drawn at
	// random, each at most once, and how many live nodes other than self
	// the cluster has. It costs O(k) record reads, whatever the number of
	// nodes.
	SamplePeers(ctx context.Context, k int, self string) (sample []Peer, others int, err error)
}

// Lease is one holding of one WorkerID. Its methods are safe for concurrent
// use.
type Lease interface {
	// WorkerID is the WorkerID held.
	WorkerID() int64
	// HighWater is the W read when the WorkerID was claimed: the new holder
	// issues nothing at or before it.
	HighWater() time.Time
	// Reserve raises the persisted W to w by compare-and-swap, which succeeds
	// only while this lease owns the WorkerID. IDs up to w may be issued only
	// after Reserve returns nil. A failed compare returns an error wrapping
	// ErrFenced, and the lease is then Done.
	Reserve(ctx context.Context, w time.Time) error
	// Deadline is the last instant, on the monotonic clock, at which the lease
	// can prove ownership. Issuing must stop at it.
	Deadline() time.Time
	// Done is closed once the lease is lost for good; Err then says why.
	Done() <-chan struct{}
	// Err is nil while the lease is held, else why it was lost.
	Err() error
	// Report writes the node's clock report, leaf_forever/<node>.
	Report(ctx context.Context, r Report) error
	// Release stores w as the final W and, once it is stored, gives the
	// WorkerID back at once. Pass the start of the tick of the last ID
	// issued, after issuing has stopped: W may then move down to it, so that
	// the next holder need not wait out the unused part of the window. A w
	// below HighWater is raised to HighWater. When the store does not answer
	// within ctx, the error may be a *NotReleasedError.
	Release(ctx context.Context, w time.Time) error
}

// Peer is a live node, as listed under leaf_temporary/.
type Peer struct {
	Node     string `json:"node"`
	Admin    string `json:"admin"`
	WorkerID int64  `json:"worker_id"`
}

// Report is a node's clock report, as stored under leaf_forever/<node>.
type Report struct {
	// Timestamp is the node's wall clock when it reported, in unix ms.
	Timestamp int64 `json:"timestamp"`
	// WorkerID held when it reported.
	WorkerID int64 `json:"worker_id"`
	// Admin is the node's admin address.
	Admin string `json:"admin"`
}

// Time returns the report's timestamp as a time.
func (r Report) Time() time.Time { return time.UnixMilli(r.Timestamp) }
