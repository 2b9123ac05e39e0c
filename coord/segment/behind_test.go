package segment

import (
	"context"
	"testing"
)

// TestStoreWentBack: a store restored to an older max_id hands out a
// segment below what this allocator took. It is refused, max_id is raised
// past everything taken, and the IDs keep increasing.
func TestStoreWentBack(t *testing.T) {
	a, store, _ := newFakeAllocator(t, 10, Config{MaxStep: 10})
	ctx := context.Background()
	var last int64
	for range 25 { // three segments taken: [1,11), [11,21), [21,31)
		id, err := a.Next(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		last = id
	}
	taken := store.maxID("orders")
	store.restore("orders", 1)
	for range 40 {
		id, err := a.Next(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		if id <= last {
			t.Fatalf("ID %d after %d: the restored store's segment was used", id, last)
		}
		last = id
	}
	if got := store.maxID("orders"); got <= taken {
		t.Fatalf("max_id %d after the restore; the allocator had taken up to %d", got, taken)
	}
}
