package segment

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFloorsAcrossRestart: a node that restarts against a store restored to
// an older max_id does not hand out its own IDs again: its floor file says
// how far it took.
func TestFloorsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floors", "segments.json")
	floors, err := OpenFloorFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, store, _ := newFakeAllocator(t, 10, Config{MaxStep: 10, Floors: floors})
	ctx := context.Background()
	var last int64
	for range 25 {
		if last, err = a.Next(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	taken := store.maxID("orders")
	store.restore("orders", 1)

	floors, err = OpenFloorFile(path) // the restarted node reads its file
	if err != nil {
		t.Fatal(err)
	}
	if got := floors.Floor("orders"); got < last+1 {
		t.Fatalf("floor %d after IDs up to %d", got, last)
	}
	b, err := newAllocator(Config{Store: store, MaxStep: 10, Floors: floors}, &manualClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id, err := b.Next(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if id <= last {
		t.Fatalf("after the restart and the restore: ID %d, handed out up to %d before", id, last)
	}
	if got := store.maxID("orders"); got <= taken {
		t.Fatalf("max_id %d; the node had taken up to %d", got, taken)
	}
}

func TestFloorFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not json":  "{",
		"bad tag":   `{"segment_ends":{"a/b":5}}`,
		"negative":  `{"segment_ends":{"orders":-1}}`,
		"not a map": `{"segment_ends":[1]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFloorFile(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
	f, err := OpenFloorFile(filepath.Join(dir, "good.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Raise("orders", 100); err != nil {
		t.Fatal(err)
	}
	if err := f.Raise("orders", 50); err != nil || f.Floor("orders") != 100 {
		t.Fatalf("a lower end lowered the floor: %d, %v", f.Floor("orders"), err)
	}
	again, err := OpenFloorFile(filepath.Join(dir, "good.json"))
	if err != nil || again.Floor("orders") != 100 || again.Floor("other") != 0 {
		t.Fatalf("read back: %v, %d", err, again.Floor("orders"))
	}
}
