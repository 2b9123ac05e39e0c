//go:build unix && !linux

package sidecar

import (
	"sync"
	"syscall"
)

// umaskMu serializes withUmask.
var umaskMu sync.Mutex

// withUmask runs fn with the process-wide umask set to mask. HAZARD: files
// that other goroutines create meanwhile get this umask too.
func withUmask(mask int, fn func() error) error {
	umaskMu.Lock()
	defer umaskMu.Unlock()
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	return fn()
}
