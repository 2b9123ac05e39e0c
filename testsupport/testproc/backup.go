package testproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Restorable is a store whose data folders a test can put back, as an
// operator restoring a backup would: one server (etcdtest.Server,
// zktest.Server) or every member of a cluster (etcdtest.Cluster.Whole).
// Stop stops every server; Restart starts them all again on their data and
// waits until the store serves.
type Restorable interface {
	Stop()
	Restart(testing.TB)
	DataDirs() []string
}

// Backup stops the store, copies its data folders into tb.TempDir() and
// starts it again; it returns the folder holding the copies.
func Backup(tb testing.TB, store Restorable) string {
	tb.Helper()
	store.Stop()
	backup := tb.TempDir()
	for i, dir := range store.DataDirs() {
		copyDir(tb, dir, filepath.Join(backup, strconv.Itoa(i)))
	}
	store.Restart(tb)
	return backup
}

// Restore stops the store, puts the copies Backup made back as its data
// folders and starts it again: the store forgets everything written since
// the backup, and keeps its identity (an etcd cluster its cluster ID).
func Restore(tb testing.TB, store Restorable, backup string) {
	tb.Helper()
	store.Stop()
	for i, dir := range store.DataDirs() {
		if err := os.RemoveAll(dir); err != nil {
			tb.Fatal(err)
		}
		copyDir(tb, filepath.Join(backup, strconv.Itoa(i)), dir)
	}
	store.Restart(tb)
}

func copyDir(tb testing.TB, from, to string) {
	tb.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		tb.Fatalf("cp -a %s %s: %v: %s", from, to, err, out)
	}
}
