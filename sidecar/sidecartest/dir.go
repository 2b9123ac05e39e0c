package sidecartest

import (
	"os"
	"testing"
)

// ShortDir returns a new folder under the system's temporary folder, removed
// when the test ends. A Unix socket path holds at most 107 bytes, and
// t.TempDir() names a folder after the test, which can be longer than that
// with a socket file in it; ShortDir's name is a few bytes.
func ShortDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "ic")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
