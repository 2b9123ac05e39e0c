package sidecar

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/idcoord/idcoord/sidecar/client"
	"github.com/idcoord/idcoord/sidecar/sidecartest"
)

// TestParallelUniqueness draws 200k IDs from 8 goroutines at once, over the
// Go client, HTTP and pipelined raw line requests, and checks that no ID
// repeats and each goroutine's IDs increase.
func TestParallelUniqueness(t *testing.T) {
	ts := startServer(t, nil)
	cl, err := client.Dial(ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	hc := httpClient(t, ts.path)
	const goroutines, perGoroutine = 8, 25000
	results := make([][]int64, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			var ids []int64
			switch g % 4 {
			case 0, 1: // Go client, one ID and batches
				ctx := context.Background()
				for len(ids) < perGoroutine && !t.Failed() {
					n := 1 + g*50
					var err error
					if ids, err = cl.AppendIDs(ctx, ids, min(n, perGoroutine-len(ids))); err != nil {
						t.Error(err)
						return
					}
				}
			case 2: // HTTP batches
				for len(ids) < perGoroutine && !t.Failed() {
					_, _, body := get(t, hc, "GET", "http://idcoord/ids?count=500", "")
					ids = append(ids, textIDs(t, body, 500)...)
				}
			case 3: // pipelined line requests, 100 at a time
				c := dialLine(t, ts.path)
				for len(ids) < perGoroutine && !t.Failed() {
					c.send(strings.Repeat("5\n", 100))
					for range 100 {
						ids = append(ids, parseIDs(t, c.line(), 5)...)
					}
				}
			}
			results[g] = ids
		})
	}
	wg.Wait()
	for g, ids := range results {
		if len(ids) < perGoroutine {
			t.Fatalf("goroutine %d got %d IDs", g, len(ids))
		}
	}
	sidecartest.CheckUnique(t, results)
}
