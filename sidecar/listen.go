package sidecar

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Defaults for Listen.
const (
	// DefaultSocketMode is the socket file's mode when Listen gets 0.
	DefaultSocketMode os.FileMode = 0o660
	// SocketDirMode is the mode of socket folders that Listen creates.
	SocketDirMode os.FileMode = 0o750
	// liveDialTimeout bounds the dial that tells a live socket from a stale
	// one.
	liveDialTimeout = time.Second
)

// Listen creates the Unix socket at path and listens on it. The socket file
// gets mode (0 means DefaultSocketMode, 0660) and missing parent folders get
// SocketDirMode (0750); both come from the umask at creation, never from a
// chmod afterwards, so the socket is never reachable with a wider mode.
// Existing folders are left as they are.
//
// If path exists, Listen removes it only when it is a socket that nothing
// answers on (a stale file from a crash). It returns an error wrapping
// ErrSocketLive if a server answers there, ErrNotSocket if the path is
// something else, and ErrSocketPath for a path CheckSocketPath refuses or
// a mode CheckSocketMode refuses. Closing the listener removes the socket file.
//
// On Linux the umask is changed only on a thread of its own (unshare
// CLONE_FS), so the rest of the process is not affected. Elsewhere the umask
// is process-wide: files other goroutines create meanwhile get it too.
func Listen(path string, mode os.FileMode) (net.Listener, error) {
	if err := CheckSocketPath(path); err != nil {
		return nil, fmt.Errorf("%w: %q %v", ErrSocketPath, path, err)
	}
	if err := CheckSocketMode(mode); err != nil {
		return nil, fmt.Errorf("%w: socket mode %#o is %v", ErrSocketPath, uint32(mode), err)
	}
	if mode == 0 {
		mode = DefaultSocketMode
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	var l *net.UnixListener
	err := withUmask(0o777&^int(SocketDirMode), func() error {
		if err := os.MkdirAll(filepath.Dir(path), SocketDirMode); err != nil {
			return fmt.Errorf("sidecar: creating the socket folder: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = withUmask(0o777&^int(mode), func() error {
		var err error
		l, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sidecar: listening on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}

// removeStale removes path if it is a socket nobody answers on. It leaves a
// missing path alone and refuses anything else.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sidecar: checking the socket path: %w", err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%w: %s is a %s (mode %s); refusing to remove it", ErrNotSocket, path, kindOf(fi.Mode()), fi.Mode())
	}
	c, err := net.DialTimeout("unix", path, liveDialTimeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w %s; refusing to start a second one", ErrSocketLive, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("sidecar: cannot tell whether the socket %s is stale: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sidecar: removing the stale socket: %w", err)
	}
	return nil
}

// kindOf names a file type for an error message.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "regular file"
	default:
		return "special file"
	}
}
