package etcd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file StartEmbedded locks in the data dir, for as long as
// the member runs, and writes its process ID into.
const LockFile = "idcoord.lock"

// ErrDataDirInUse: another process (or another Embedded of this one) runs a
// member on the data dir. Errors of type *DataDirInUseError match it.
var ErrDataDirInUse = errors.New("etcd: data dir in use")

// DataDirInUseError says which data dir is in use, and by which process.
type DataDirInUseError struct {
	// Dir is the data dir, as configured.
	Dir string
	// PID is the holder's process ID, as it wrote it into the lock file;
	// 0 when the file does not say (yet).
	PID int
}

func (e *DataDirInUseError) Error() string {
	return fmt.Sprintf("etcd: data dir %s is in use by another process (%s)", e.Dir, e.Holder())
}

// Holder names the holding process: "pid 1234", "this process" or
// "pid unknown".
func (e *DataDirInUseError) Holder() string {
	switch e.PID {
	case 0:
		return "pid unknown"
	case os.Getpid():
		return "this process"
	}
	return "pid " + strconv.Itoa(e.PID)
}

// Is makes every DataDirInUseError match ErrDataDirInUse.
func (e *DataDirInUseError) Is(target error) bool { return target == ErrDataDirInUse }

// dirLock is an exclusive lock on a data dir, held through an open file.
type dirLock struct{ f *os.File }

// lockDataDir creates dir (0700, as etcd wants it) if missing and takes
// its lock file without waiting. Taken first, it turns a second member on
// the same dir into a clear error: etcd itself would block for good on its
// database's own lock, and not hear any signal while it does.
func lockDataDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd: data dir: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("etcd: data dir lock: %w", err)
	}
	locked, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("etcd: locking %s: %w", path, err)
	}
	if !locked {
		pid := readPID(f)
		f.Close()
		return nil, &DataDirInUseError{Dir: dir, PID: pid}
	}
	// The PID is for the message of the next one to try; the lock itself
	// is what counts, and goes with this process.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) //nolint:errcheck // the PID only improves a message
	}
	return &dirLock{f: f}, nil
}

// release empties the lock file and lets the lock go. The file stays: a
// removed lock file could be locked by two processes at once.
func (l *dirLock) release() {
	l.f.Truncate(0) //nolint:errcheck // a stale PID in an unlocked file misleads no one
	l.f.Close()
}

func readPID(f *os.File) int {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 32))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 0 {
		return 0
	}
	return pid
}
