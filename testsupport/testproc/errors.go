package testproc

import "errors"

// ErrRunning means a Runner was asked to launch while its last process still
// runs; the wrapping error names the PID.
var ErrRunning = errors.New("testproc: still running")

// InstallHint tells how to install the servers the test helpers start; a
// helper that misses one puts it in its tb.Fatalf message.
const InstallHint = "run `make deps` (apt-get install -y etcd-server zookeeper)"
