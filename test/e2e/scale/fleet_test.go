package scale

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/idcoord/idcoord"
	"github.com/idcoord/idcoord/snowflake"
)

const (
	// closeTimeout bounds closing one node: it gives its WorkerId back.
	closeTimeout = 30 * time.Second
	// stormTimeout bounds the storm: every node started and ready.
	stormTimeout = 5 * time.Minute
	// readyRetry is the pause between two tries at a started node's first
	// ID while it is not ready.
	readyRetry = 100 * time.Millisecond
)

// fleetNode is one in-process node with its admin listener.
type fleetNode struct {
	name  string
	clock *clockServer
	node  *idcoord.Node // nil until it started, or when it failed to
	err   error         // why it did not start
	ready time.Duration // from the storm's start to its first ID
	// lapsed is set when the node was not ready at once after Start
	// returned: an overloaded store or process let its lease or W lapse
	// before the first ID, and the node recovered by itself.
	lapsed bool
}

// fleet is N nodes on one store, each with its own client, admin listener
// and name. Its methods run on the test's goroutine.
type fleet struct {
	nodes  []*fleetNode
	layout snowflake.Layout
}

// newFleet opens n admin listeners and closes the fleet, nodes first,
// through t.Cleanup.
func newFleet(t *testing.T, n int) *fleet {
	f := &fleet{layout: snowflake.Twitter()}
	t.Cleanup(func() { f.close(t) })
	for i := range n {
		c, err := startClockServer()
		if err != nil {
			t.Fatalf("admin listener of node %d: %v", i, err)
		}
		f.nodes = append(f.nodes, &fleetNode{name: fmt.Sprintf("scale-%04d", i), clock: c})
	}
	return f
}

// storm starts every node at once, each on its own goroutine with its own
// store client, and returns when each has issued its first ID or failed.
func (f *fleet) storm(ctx context.Context, st store, log *zap.Logger) time.Time {
	ctx, cancel := context.WithTimeout(ctx, stormTimeout)
	defer cancel()
	var wg sync.WaitGroup
	gate := make(chan struct{})
	var began time.Time
	for _, fn := range f.nodes {
		wg.Go(func() {
			<-gate
			fn.err = f.startNode(ctx, st, fn, began, log)
		})
	}
	began = time.Now()
	close(gate) // publishes began to every goroutine
	wg.Wait()
	return began
}

// startNode starts one node as an embedding service would and waits for
// its first ID, trying again while the node is not ready; fn.ready is the
// time from began, the storm's start.
func (f *fleet) startNode(ctx context.Context, st store, fn *fleetNode, began time.Time, log *zap.Logger) error {
	be, err := st.newBackend(ctx, log.With(zap.String("node", fn.name)))
	if err != nil {
		return fmt.Errorf("%s: store client: %w", fn.name, err)
	}
	n, err := idcoord.Start(ctx, idcoord.Config{Backend: be, Node: fn.name, Admin: fn.clock.addr, Layout: f.layout, Logger: log})
	if err != nil {
		return fmt.Errorf("%s: start: %w", fn.name, err)
	}
	fn.node = n
	for {
		_, err := n.NextID(ctx)
		switch {
		case err == nil:
			fn.ready = time.Since(began)
			return nil
		case !errors.Is(err, idcoord.ErrNotReady):
			return fmt.Errorf("%s: first ID: %w", fn.name, err)
		}
		fn.lapsed = true
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not ready %v after the storm's start: %w", fn.name, time.Since(began).Round(time.Second), err)
		case <-time.After(readyRetry):
		}
	}
}

// lapsedCount returns how many nodes were not ready at once after Start.
func (f *fleet) lapsedCount() int {
	n := 0
	for _, fn := range f.nodes {
		if fn.lapsed {
			n++
		}
	}
	return n
}

// startErrors returns how many nodes failed to start, and the first few
// reasons.
func (f *fleet) startErrors(few int) (int, []string) {
	var msgs []string
	failed := 0
	for _, fn := range f.nodes {
		if fn.err != nil {
			failed++
			if len(msgs) < few {
				msgs = append(msgs, fn.err.Error())
			}
		}
	}
	return failed, msgs
}

// readyTimes returns the started nodes' times to their first ID, sorted.
func (f *fleet) readyTimes() []time.Duration {
	var out []time.Duration
	for _, fn := range f.nodes {
		if fn.err == nil {
			out = append(out, fn.ready)
		}
	}
	slices.Sort(out)
	return out
}

// probes returns the /clock probes every admin listener has served so far.
func (f *fleet) probes() int64 {
	var sum int64
	for _, fn := range f.nodes {
		sum += fn.clock.probes.Load()
	}
	return sum
}

// readyCount is the ready nodes counted at one moment, given as the time
// since the storm's start.
type readyCount struct {
	at    time.Duration
	ready int
}

// readyDuring counts the ready nodes every `every` for d; ctx ending first
// fails the test.
func (f *fleet) readyDuring(ctx context.Context, t *testing.T, d, every time.Duration, began time.Time) []readyCount {
	var counts []readyCount
	end := time.Now().Add(d)
	for left := d; left > 0; left = time.Until(end) {
		sleep(ctx, t, min(every, left))
		ready := 0
		for _, fn := range f.nodes {
			if fn.node != nil && fn.node.Ready() == nil {
				ready++
			}
		}
		counts = append(counts, readyCount{time.Since(began), ready})
	}
	return counts
}

// statuses snapshots every started node.
func (f *fleet) statuses() []idcoord.Status {
	var out []idcoord.Status
	for _, fn := range f.nodes {
		if fn.node != nil {
			out = append(out, fn.node.Status())
		}
	}
	return out
}

// close closes every node at once (each gives its WorkerId back), then the
// admin listeners, then the idle connections of the peers' probes. A node
// whose Close has not returned well after closeTimeout fails the test,
// named, rather than hang it: it is left behind.
func (f *fleet) close(t *testing.T) {
	var mu sync.Mutex
	var errs []error
	pending := map[string]bool{}
	var wg sync.WaitGroup
	for _, fn := range f.nodes {
		if fn.node == nil {
			continue
		}
		pending[fn.name] = true
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			err := fn.node.Close(ctx)
			mu.Lock()
			defer mu.Unlock()
			delete(pending, fn.name)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", fn.name, err))
			}
		})
	}
	closed := make(chan struct{})
	go func() { wg.Wait(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * closeTimeout):
		mu.Lock()
		hung := slices.Sorted(maps.Keys(pending))
		mu.Unlock()
		t.Errorf("closing the fleet: Node.Close of %d nodes has not returned %v after it was called (its ctx ends after %v): %v",
			len(hung), 2*closeTimeout, closeTimeout, hung[:min(10, len(hung))])
	}
	for _, fn := range f.nodes {
		if err := fn.clock.close(); err != nil {
			errs = append(errs, fmt.Errorf("%s admin listener: %w", fn.name, err))
		}
	}
	http.DefaultClient.CloseIdleConnections()
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		t.Logf("closing the fleet: %d errors, the first: %v", len(errs), errors.Join(errs[:min(3, len(errs))]...))
	}
}

// sharedWorkerIDs returns, for each WorkerId that more than one of the
// statuses shows, the nodes that show it; readyOnly counts only ready
// nodes. It also returns how many statuses hold a WorkerId.
func sharedWorkerIDs(statuses []idcoord.Status, readyOnly bool) (shared []string, holding int) {
	holders := map[int64][]string{}
	for _, s := range statuses {
		if s.WorkerID < 0 || (readyOnly && !s.Ready) {
			continue
		}
		holding++
		holders[s.WorkerID] = append(holders[s.WorkerID], s.Node)
	}
	for wid, nodes := range holders {
		if len(nodes) > 1 {
			shared = append(shared, fmt.Sprintf("WorkerId %d: %v", wid, nodes))
		}
	}
	slices.Sort(shared)
	return shared, holding
}
