package client_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/idcoord/idcoord/sidecar"
	"github.com/idcoord/idcoord/sidecar/client"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/sidecar/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serve starts a sidecar with max-batch 1000, which edit may adjust, and
// returns its socket and source.
func serve(t *testing.T, edit func(*sidecar.Config)) (string, *sidecartest.Source) {
	t.Helper()
	cfg := sidecar.Config{MaxBatch: 1000}
	if edit != nil {
		edit(&cfg)
	}
	ts := testserver.Start(t, cfg)
	return ts.Path, ts.Source
}

func dial(t *testing.T, path string) *client.Client {
	t.Helper()
	c, err := client.Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestNextIDs(t *testing.T) {
	path, _ := serve(t, nil)
	c := dial(t, path)
	ctx := context.Background()
	var last int64
	for _, n := range []int{1, 2, 1000, 7} {
		ids, err := c.NextIDs(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != n {
			t.Fatalf("got %d IDs, want %d", len(ids), n)
		}
		for _, id := range ids {
			if id <= last {
				t.Fatalf("ID %d after %d", id, last)
			}
			last = id
		}
	}
	id, err := c.NextID(ctx)
	if err != nil || id <= last {
		t.Fatalf("NextID = %d, %v after %d", id, err, last)
	}
}

func TestErrors(t *testing.T) {
	path, src := serve(t, nil)
	c := dial(t, path)
	ctx := context.Background()
	tests := []struct {
		name string
		n    int
		down string
		want error
		text string
	}{
		{"over max-batch", 1001, "", client.ErrTooMany, "client: too many IDs asked for: count 1001 exceeds max-batch 1000"},
		{"zero", 0, "", client.ErrBadRequest, "client: bad request: count must be at least 1, got 0"},
		{"unavailable", 1, "not safe to issue: lease fence passed", client.ErrUnavailable, "client: unavailable: not safe to issue: lease fence passed"},
		{"recovered", 5, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src.SetDown(tt.down)
			ids, err := c.NextIDs(ctx, tt.n)
			if !errors.Is(err, tt.want) || (err != nil && err.Error() != tt.text) {
				t.Fatalf("got %v, want %q", err, tt.text)
			}
			if err == nil && len(ids) != tt.n {
				t.Fatalf("got %d IDs", len(ids))
			}
		})
	}
}

func TestDialFails(t *testing.T) {
	if _, err := client.Dial(filepath.Join(t.TempDir(), "missing.sock")); err == nil {
		t.Fatal("Dial to a missing socket succeeded")
	}
	if _, err := client.New(client.Config{}); !errors.Is(err, client.ErrBadRequest) {
		t.Fatalf("New with no path: %v", err)
	}
}

func TestContextDeadline(t *testing.T) {
	path, src := serve(t, nil)
	c := dial(t, path)
	_, release := src.Hold()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.NextID(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel2)
	if _, err := c.NextID(ctx2); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	release()
	// The broken connections were discarded; a fresh one works.
	if _, err := c.NextID(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestReconnectsAfterIdleTimeout(t *testing.T) {
	path, _ := serve(t, func(c *sidecar.Config) { c.IdleTimeout = 20 * time.Millisecond })
	c := dial(t, path)
	ctx := context.Background()
	if _, err := c.NextID(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // real time: the server's idle timeout closes the pooled connection
	if _, err := c.NextID(ctx); err != nil {
		t.Fatalf("after the server closed the idle connection: %v", err)
	}
}

func TestClosed(t *testing.T) {
	path, _ := serve(t, nil)
	c := dial(t, path)
	c.Close()
	if _, err := c.NextID(context.Background()); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
}

func TestParallelUniqueness(t *testing.T) {
	path, _ := serve(t, nil)
	c := dial(t, path)
	const goroutines, perGoroutine = 8, 25000
	results := make([][]int64, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			ids := make([]int64, 0, perGoroutine)
			for len(ids) < perGoroutine {
				var err error
				if g%2 == 0 {
					var id int64
					id, err = c.NextID(ctx)
					ids = append(ids, id)
				} else {
					ids, err = c.AppendIDs(ctx, ids, min(100, perGoroutine-len(ids)))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
			results[g] = ids
		})
	}
	wg.Wait()
	if n := sidecartest.CheckUnique(t, results); n != goroutines*perGoroutine {
		t.Fatalf("%d unique IDs, want %d", n, goroutines*perGoroutine)
	}
}

func TestHTTPClient(t *testing.T) {
	path, src := serve(t, nil)
	c := client.NewHTTPClient(path)
	defer c.Close()
	ctx := context.Background()
	var last int64
	for _, n := range []int{1, 2, 1000} {
		ids, err := c.AppendIDs(ctx, nil, n)
		if err != nil || len(ids) != n {
			t.Fatalf("%d IDs: got %d, %v", n, len(ids), err)
		}
		for _, id := range ids {
			if id <= last {
				t.Fatalf("ID %d after %d", id, last)
			}
			last = id
		}
	}
	if _, err := c.AppendIDs(ctx, nil, 1001); !errors.Is(err, client.ErrTooMany) {
		t.Fatalf("over max-batch: %v, want ErrTooMany", err)
	}
	src.SetDown("not safe to issue: lease fence passed")
	if _, err := c.AppendIDs(ctx, nil, 1); !errors.Is(err, client.ErrUnavailable) || !strings.Contains(err.Error(), "lease fence passed") {
		t.Fatalf("down: %v, want ErrUnavailable with the server's reason", err)
	}
}
