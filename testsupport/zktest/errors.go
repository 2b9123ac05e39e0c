package zktest

import "errors"

// Errors returned by the methods that do not take a testing.TB.
var (
	// ErrOptions means an Options value is invalid; the wrapping error names the field.
	ErrOptions = errors.New("zktest: invalid options")
	// ErrExited means the ZooKeeper process ended while it was expected to run.
	ErrExited = errors.New("zktest: zookeeper exited")
	// ErrNotRunning means the Server has no running process.
	ErrNotRunning = errors.New("zktest: zookeeper is not running")
	// ErrNotServing means the server answered srvr without a mode: an
	// ensemble member that has no quorum, or is still catching up.
	ErrNotServing = errors.New("zktest: zookeeper is not serving")
)
