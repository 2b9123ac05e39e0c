package etcdtest

import "errors"

// Errors returned by the methods that do not take a testing.TB.
var (
	// ErrExited means the etcd process ended while it was expected to run.
	ErrExited = errors.New("etcdtest: etcd exited")
	// ErrNotRunning means the Server has no running process.
	ErrNotRunning = errors.New("etcdtest: etcd is not running")
	// ErrNoLeader means no reachable member named a leader that also answered.
	ErrNoLeader = errors.New("etcdtest: no leader found")
)
