package sidecar

import (
	"runtime"
	"sync"
	"syscall"
)

// umaskMu serializes the process-wide fallback of withUmask.
var umaskMu sync.Mutex

// withUmask runs fn with the umask set to mask. fn runs on a locked thread
// that first leaves the process's shared filesystem attributes (unshare
// CLONE_FS), so the umask changes for that thread only; the thread exits
// with the goroutine instead of returning to the scheduler. If unshare is
// refused, it falls back to the process-wide umask, under a mutex.
func withUmask(mask int, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := syscall.Unshare(syscall.CLONE_FS); err != nil {
			runtime.UnlockOSThread()
			umaskMu.Lock()
			defer umaskMu.Unlock()
		}
		old := syscall.Umask(mask)
		defer syscall.Umask(old)
		done <- fn()
	}()
	return <-done
}
