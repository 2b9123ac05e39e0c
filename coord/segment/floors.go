package segment

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/idcoord/idcoord/coord"
)

// Floors keeps, outside the store, the end of the highest segment a node
// took per tag. The store may forget (restored from an older backup): its
// max_id then lies below IDs this node handed out, and the next take would
// repeat them. An Allocator with Floors refuses such a segment and raises
// max_id past the floor, after a restart as well as while it runs (see
// ErrStoreBehind). A floor is never a permission: every segment still comes
// from a compare-and-swap in the store.
//
// Implementations are safe for concurrent use.
type Floors interface {
	// Floor returns the highest end recorded for tag, or 0.
	Floor(tag string) int64
	// Raise records end for tag, unless a higher end is recorded. It is
	// called before any ID of the segment is handed out.
	Raise(tag string, end int64) error
}

// FloorFile is Floors kept in one JSON file, rewritten whole (a temporary
// file, synced, then renamed) at every Raise. Segments are fetched seldom
// (a segment lasts minutes once the dynamic step has grown), so the writes
// are few.
type FloorFile struct {
	path string
	mu   struct {
		sync.Mutex
		ends map[string]int64
	}
}

// floorFile is what the file holds.
type floorFile struct {
	// Ends maps a tag to the end of the highest segment taken for it.
	Ends map[string]int64 `json:"segment_ends"`
}

// OpenFloorFile reads the floors at path, creating its folder when it is
// missing; a missing file holds no floors. A file that cannot be read is an
// error that names it: the node would lose the floor it keeps.
func OpenFloorFile(path string) (*FloorFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("segment: floors: %w", err)
	}
	f := &FloorFile{path: path}
	f.mu.ends = map[string]int64{}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("segment: floors: %w", err)
	}
	var file floorFile
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("segment: floors %s are unreadable (%v); the file holds the highest segment this node took per tag: "+
			"remove it only if the store's max_id of every tag is current", path, err)
	}
	for tag, end := range file.Ends {
		if coord.CheckTag(tag) != nil || end < 0 {
			return nil, fmt.Errorf("segment: floors %s: bad entry %q: %d; remove it only if the store's max_id of every tag is current", path, tag, end)
		}
		f.mu.ends[tag] = end
	}
	return f, nil
}

// Floor returns the highest end recorded for tag, or 0.
func (f *FloorFile) Floor(tag string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mu.ends[tag]
}

// Raise records end for tag and writes the file, unless a higher end is
// recorded.
func (f *FloorFile) Raise(tag string, end int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mu.ends[tag] >= end {
		return nil
	}
	old := f.mu.ends[tag]
	f.mu.ends[tag] = end
	if err := f.writeLocked(); err != nil {
		f.mu.ends[tag] = old
		return err
	}
	return nil
}

// writeLocked replaces the file with the floors, synced before the rename
// so that a crash leaves the old file or the new one, never a torn one.
func (f *FloorFile) writeLocked() error {
	data, err := json.Marshal(floorFile{Ends: f.mu.ends})
	if err != nil {
		return fmt.Errorf("segment: floors: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".floors-*")
	if err != nil {
		return fmt.Errorf("segment: floors: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("segment: floors: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("segment: floors: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("segment: floors: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("segment: floors: %w", err)
	}
	return nil
}
