package idcoord

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// localHistory is this node's own record, in a file outside the store, of
// the last W it reserved under each WorkerID. The store may forget (rule 6
// of the design): etcd or ZooKeeper restored from an older backup hands back
// an older W for a WorkerID this node issued from. Taken as a floor, the
// local record keeps the node's next IDs under that WorkerID above every ID
// it issued before, restart or not.
//
// It is a floor only, never a permission to issue: a WorkerID is still
// claimed in the store, and the store's W still applies. A nil
// *localHistory keeps nothing (Config.HistoryDir empty).
type localHistory struct {
	path string
	mu   struct {
		sync.Mutex
		w map[int64]int64 // WorkerID -> W in unix milliseconds
	}
}

// historyFile is what the file holds.
type historyFile struct {
	Node string `json:"node"`
	// W maps a WorkerID (as a decimal string, JSON's only key type) to the
	// last W reserved under it, in unix milliseconds.
	W map[string]int64 `json:"w_unix_ms"`
}

// openLocalHistory reads the history of node in dir, creating dir if it is
// missing. A file that cannot be read is an error: the node would lose the
// floor it keeps. A folder that cannot be made (a read-only file system) is
// not: the node runs without a local history, as before there was one, and
// says so through warn.
func openLocalHistory(dir, node string, warn func(error)) (*localHistory, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		warn(fmt.Errorf("idcoord: no local history of W (%w); a store restored from an older backup is then caught by the store's fencing alone", err))
		return nil, nil
	}
	h := &localHistory{path: filepath.Join(dir, "last-w-"+node+".json")}
	h.mu.w = map[int64]int64{}
	data, err := os.ReadFile(h.path)
	if errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idcoord: local history: %w", err)
	}
	var f historyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("idcoord: local history %s is unreadable (%v); it holds this node's last W per WorkerId: "+
			"remove it only if no ID this node issued can be repeated (its W in the store is current)", h.path, err)
	}
	for k, w := range f.W {
		wid, err := strconv.ParseInt(k, 10, 64)
		if err != nil || wid < 0 || w < 0 {
			return nil, fmt.Errorf("idcoord: local history %s: bad entry %q: %d; remove it only if no ID this node issued can be repeated", h.path, k, w)
		}
		h.mu.w[wid] = w
	}
	return h, nil
}

// floor returns the last W recorded under wid, or the zero time.
func (h *localHistory) floor(wid int64) time.Time {
	if h == nil {
		return time.Time{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if w, ok := h.mu.w[wid]; ok {
		return time.UnixMilli(w)
	}
	return time.Time{}
}

// record keeps w as the last W this node stored under wid, and writes the
// file: a new file synced to disk, then renamed over the old one, so a crash
// leaves the old history or the new one, never half. W may go down: a
// release stores the last ID's time, below the window reserved until then,
// and that is what every ID issued is below.
func (h *localHistory) record(node string, wid int64, w time.Time) error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ms := w.UnixMilli()
	if old, ok := h.mu.w[wid]; ok && old == ms {
		return nil
	}
	h.mu.w[wid] = ms
	f := historyFile{Node: node, W: make(map[string]int64, len(h.mu.w))}
	for id, w := range h.mu.w {
		f.W[strconv.FormatInt(id, 10)] = w
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".last-w-*")
	if err != nil {
		return fmt.Errorf("idcoord: local history: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.path)
	}
	if err != nil {
		return fmt.Errorf("idcoord: local history: %w", err)
	}
	return nil
}

// remember keeps w in the local history as what every ID this node issued
// under wid is at or below: a W just reserved in the store (written after
// the store acknowledged it, before the generator may use it), or the last
// tick issued once the generator has stopped. A failed write is logged, not
// fatal: the store's W still covers the IDs while the store does not forget.
func (n *Node) remember(wid int64, w time.Time) {
	if err := n.history.record(n.cfg.Node, wid, w); err != nil {
		n.log.Warn("could not keep W in the local history", zap.Error(err), zap.Int64("worker-id", wid))
	}
}
