package segment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idcoord/idcoord/coord"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// newFakeAllocator returns an Allocator over a memStore holding tag
// "orders" (first ID 1, the given step), with a manual clock.
func newFakeAllocator(t *testing.T, step int64, cfg Config) (*Allocator, *memStore, *manualClock) {
	t.Helper()
	store, clock := newMemStore(), &manualClock{}
	if _, err := coord.CreateSegment(context.Background(), store, "orders", 1, step, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	cfg.Store = store
	a, err := newAllocator(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, store, clock
}

func TestUnknownTagCached(t *testing.T) {
	a, store, clock := newFakeAllocator(t, 10, Config{})
	ctx := context.Background()
	_, err := a.Next(ctx, "nope")
	if !errors.Is(err, coord.ErrNoSegment) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown tag: %v, want coord.ErrNoSegment naming it", err)
	}
	calls := store.callCount()
	for range 100 {
		if _, err := a.AppendIDs(ctx, "nope", nil, 3); !errors.Is(err, coord.ErrNoSegment) {
			t.Fatalf("unknown tag again: %v", err)
		}
	}
	if got := store.callCount(); got != calls {
		t.Fatalf("asking again within a second made %d store calls", got-calls)
	}
	clock.advance(missTTL)
	if _, err := a.Next(ctx, "nope"); !errors.Is(err, coord.ErrNoSegment) {
		t.Fatalf("unknown tag after the cache expired: %v", err)
	}
	if store.callCount() == calls {
		t.Fatal("the store was not asked again once the answer expired")
	}
	if _, err := coord.CreateSegment(ctx, store, "nope", 7, 10, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	clock.advance(missTTL)
	if id, err := a.Next(ctx, "nope"); err != nil || id != 7 {
		t.Fatalf("a tag created since: %d, %v; want 7", id, err)
	}
	if st := a.Status(); len(st) != 1 || st[0].Tag != "nope" {
		t.Fatalf("status lists %+v, want only the loaded tag", st)
	}
}

func TestUnknownTagsBounded(t *testing.T) {
	a, _, _ := newFakeAllocator(t, 10, Config{})
	for i := range maxMisses + 100 {
		if _, err := a.Next(context.Background(), fmt.Sprintf("bad-%d", i)); !errors.Is(err, coord.ErrNoSegment) {
			t.Fatalf("bad-%d: %v", i, err)
		}
	}
	if n := a.misses.len(); n > maxMisses {
		t.Fatalf("%d unknown tags remembered, the bound is %d", n, maxMisses)
	}
	a.tags.RLock()
	n := len(a.tags.m)
	a.tags.RUnlock()
	if n != 0 {
		t.Fatalf("%d unknown tags kept in the tag table", n)
	}
	if st := a.Status(); len(st) != 0 {
		t.Fatalf("status lists unknown tags: %+v", st)
	}
}

func TestBadInput(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 10, Config{})
	ctx := context.Background()
	for _, tag := range []string{"", ".", "..", "a/b", "a b", "ü", strings.Repeat("x", coord.MaxTagBytes+1), "tag\n"} {
		if _, err := a.Next(ctx, tag); !errors.Is(err, coord.ErrBadTag) {
			t.Errorf("tag %q: %v, want coord.ErrBadTag", tag, err)
		}
	}
	for _, n := range []int{0, -1, -1 << 40} {
		dst := []int64{42}
		got, err := a.AppendIDs(ctx, "orders", dst, n)
		if !errors.Is(err, ErrBadCount) || len(got) != 1 {
			t.Errorf("count %d: %v, %v; want ErrBadCount and dst unchanged", n, got, err)
		}
	}
	for _, tag := range []string{"orders", "never-asked"} {
		if _, err := a.AppendIDs(ctx, tag, nil, 0); !errors.Is(err, ErrBadCount) {
			t.Errorf("count 0 of %q: %v", tag, err)
		}
	}
	if _, err := a.AppendIDs(ctx, "a/b", nil, 0); !errors.Is(err, coord.ErrBadTag) {
		t.Errorf("bad tag and bad count: %v, want the tag named first", err)
	}
	a.tags.RLock()
	kept := len(a.tags.m)
	a.tags.RUnlock()
	if kept != 0 {
		t.Errorf("bad input left %d tags in the table", kept)
	}
	if store.callCount() != 2 { // the create: a get and a put
		t.Errorf("bad input made %d store calls", store.callCount()-2)
	}
}

func TestConfigValidate(t *testing.T) {
	store := newMemStore()
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no store", Config{}, "no store"},
		{"max step negative", Config{Store: store, MaxStep: -1}, "max step -1 must be at least 1"},
		{"max step too large", Config{Store: store, MaxStep: coord.MaxSegmentStep + 1}, "above"},
		{"fetch wait", Config{Store: store, FetchWait: -time.Second}, "fetch wait -1s"},
		{"fetch timeout", Config{Store: store, FetchTimeout: -time.Second}, "fetch timeout -1s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate: %v, want an error saying %q", err, c.want)
			}
			if _, err := New(c.cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	d := DefaultConfig()
	d.Store = store
	if err := d.Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	if err := CheckMaxStep(coord.MaxSegmentStep); err != nil {
		t.Fatalf("CheckMaxStep(the largest step): %v", err)
	}
}

func TestBatchSpansSegments(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 10, Config{MaxStep: 20})
	ids, err := a.AppendIDs(context.Background(), "orders", []int64{-5}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1001 || ids[0] != -5 {
		t.Fatalf("got %d IDs after the existing one", len(ids)-1)
	}
	for i := 2; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ID %d after %d", ids[i], ids[i-1])
		}
	}
	if n := len(store.takeSizes()); n < 1000/20 {
		t.Fatalf("%d segments taken for 1000 IDs of at most 20", n)
	}
}

func TestStoreDownFake(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 100, Config{FetchWait: 50 * time.Millisecond})
	ctx := context.Background()
	first, err := a.Next(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	store.setDown(true)
	last := first
	for range 99 { // the rest of the loaded segment is served
		id, err := a.Next(ctx, "orders")
		if err != nil || id != last+1 {
			t.Fatalf("with the store down: %d, %v after %d", id, err, last)
		}
		last = id
	}
	// Nothing is loaded now: a batch waits FetchWait, then fails and leaves
	// dst as it was.
	dst, err := a.AppendIDs(ctx, "orders", []int64{1, 2}, 5)
	if !errors.Is(err, ErrUnavailable) || len(dst) != 2 {
		t.Fatalf("nothing loaded and the store down: %v, %v", dst, err)
	}
	for _, want := range []string{`"orders"`, "waited", "the test store is down"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if st := a.Status(); !strings.Contains(st[0].LastError, "the test store is down") || !st[0].Fetching {
		t.Errorf("status while the store is down: %+v", st[0])
	}
	// A cancelled request ends with its ctx's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Next(cctx, "orders"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	store.setDown(false)
	servesAgainAbove(t, a, "orders", last)
}

func TestFailedBatchSkips(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 100, Config{FetchWait: 20 * time.Millisecond})
	ctx := context.Background()
	first, err := a.Next(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	store.setDown(true)
	if _, err := a.AppendIDs(ctx, "orders", nil, 150); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a batch larger than what is loaded, the store down: %v", err)
	}
	store.setDown(false)
	var id int64
	testproc.Eventually(t, "IDs once the store is back", func() bool {
		id, err = a.Next(ctx, "orders")
		return err == nil
	})
	if id <= first+99 {
		t.Fatalf("%d handed out again: the failed batch took up to %d", id, first+99)
	}
}

func TestClose(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 100, Config{FetchWait: time.Hour})
	ctx := context.Background()
	if _, err := a.AppendIDs(ctx, "orders", nil, 100); err != nil {
		t.Fatal(err)
	}
	store.setDown(true)
	done := make(chan error)
	go func() {
		_, err := a.Next(ctx, "orders") // waits: nothing loaded, the store down
		done <- err
	}()
	testproc.Eventually(t, "the request waits", func() bool {
		ts, err := a.lookup("orders")
		if err != nil {
			t.Fatal(err)
		}
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.waiters == 1
	})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("a waiting request at Close: %v", err)
	}
	if _, err := a.Next(ctx, "orders"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
}

func TestNextLoadsInBackground(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 100, Config{})
	ctx := context.Background()
	for range 9 {
		if _, err := a.Next(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
	}
	if st := a.Status()[0]; st.Next != nil || st.Fetching || len(store.takeSizes()) != 1 {
		t.Fatalf("after 9 of 100 IDs: %+v, %d takes; want no fetch yet", st, len(store.takeSizes()))
	}
	if _, err := a.Next(ctx, "orders"); err != nil { // the 10th: a tenth used
		t.Fatal(err)
	}
	testproc.Eventually(t, "the next segment loads with no request waiting", func() bool {
		st := a.Status()[0]
		return st.Next != nil && !st.Fetching
	})
	st := a.Status()[0]
	if st.Current != (SegmentStatus{Start: 1, End: 101, Next: 11, Used: 10}) || *st.Next != (SegmentStatus{Start: 101, End: 301, Next: 101}) {
		t.Fatalf("buffers: %+v, next %+v", st.Current, *st.Next)
	}
	if got := store.takeSizes(); !slices.Equal(got, []int64{100, 200}) {
		t.Fatalf("takes %v", got)
	}
}

// TestFlappingStore asks from many goroutines while the store goes down
// and up: requests fail only with ErrUnavailable, and no ID is handed out
// twice or out of order.
func TestFlappingStore(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 5, Config{MaxStep: 40, FetchWait: 2 * time.Millisecond})
	stop := make(chan struct{})
	var flapper sync.WaitGroup
	flapper.Go(func() {
		for down := true; ; down = !down {
			select {
			case <-stop:
				store.setDown(false)
				return
			case <-time.After(3 * time.Millisecond):
				store.setDown(down)
			}
		}
	})
	var mu sync.Mutex
	seen := map[int64]bool{}
	var callers sync.WaitGroup
	var failures atomic.Int64
	for c := range 8 {
		callers.Go(func() {
			var ids []int64
			for i := range 300 {
				var err error
				before := len(ids)
				ids, err = a.AppendIDs(context.Background(), "orders", ids, 1+(i+c)%9)
				if err != nil {
					if !errors.Is(err, ErrUnavailable) || len(ids) != before {
						t.Errorf("caller %d: %v (dst %d, was %d)", c, err, len(ids), before)
						return
					}
					failures.Add(1)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for i, id := range ids {
				if i > 0 && id <= ids[i-1] {
					t.Errorf("caller %d: %d after %d", c, id, ids[i-1])
				}
				if seen[id] {
					t.Errorf("ID %d handed out twice", id)
				}
				seen[id] = true
			}
		})
	}
	callers.Wait()
	close(stop)
	flapper.Wait()
	t.Logf("%d IDs, %d failed batches", len(seen), failures.Load())
}
