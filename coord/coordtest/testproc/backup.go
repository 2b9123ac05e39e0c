package testproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Restorable is a store server whose data folder a test can put back, as an
// operator restoring a backup would: etcdtest.Server, zktest.Server.
type Restorable interface {
	Stop()
	Restart(testing.TB)
	DataDir() string
}

// Backup stops srv, copies its data folder into tb.TempDir() and starts it
// again; it returns the copy.
func Backup(tb testing.TB, srv Restorable) string {
	tb.Helper()
	srv.Stop()
	backup := filepath.Join(tb.TempDir(), "data")
	copyDir(tb, srv.DataDir(), backup)
	srv.Restart(tb)
	return backup
}

// Restore stops srv, puts backup back as its data folder and starts it
// again: the store forgets everything written since the backup.
func Restore(tb testing.TB, srv Restorable, backup string) {
	tb.Helper()
	srv.Stop()
	if err := os.RemoveAll(srv.DataDir()); err != nil {
		tb.Fatal(err)
	}
	copyDir(tb, backup, srv.DataDir())
	srv.Restart(tb)
}

func copyDir(tb testing.TB, from, to string) {
	tb.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		tb.Fatalf("cp -a %s %s: %v: %s", from, to, err, out)
	}
}
