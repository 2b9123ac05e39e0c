package main

import (
	"errors"
	"fmt"
	"net"
)

// Errors returned by the commands. main prints them after "idcoord: "; they
// are wrapped with the details and tested with errors.Is.
var (
	// errBadValue: a config key's value does not parse or is out of range.
	// Errors of type *valueError match it.
	errBadValue = errors.New("bad config value")
	// errBadID: an ID given to decode is not a decimal, non-negative int64.
	errBadID = errors.New("bad ID")
	// errBadOutput: -o names a format the command does not write.
	errBadOutput = errors.New("unknown output format")
	// errBadFlag: a command flag's value is out of range.
	errBadFlag = errors.New("bad flag value")
	// errUnreachable: nothing answers on the sidecar's socket.
	errUnreachable = errors.New("cannot reach the sidecar")
	// errInterrupted: serve was stopped by SIGINT (Ctrl-C). It exits with
	// status 130, as shells expect of a command Ctrl-C ended.
	errInterrupted = errors.New("interrupted")

	// Errors of the operator commands (lease ls|show|revoke, clock).

	// errBadWorkerID: a WorkerId argument is not a number the layout holds.
	errBadWorkerID = errors.New("bad WorkerId")
	// errNoHolding: lease show found no WorkerId or node by that name.
	errNoHolding = errors.New("no such WorkerId or node")
	// errNoRecords: the cluster has nothing in the store, which most often
	// means a mistyped cluster or another store.
	errNoRecords = errors.New("no records")
	// errNoInspector: the configured store cannot be inspected.
	errNoInspector = errors.New("store cannot be inspected")
	// errNodeDrift: a live node's clock is further from this machine's than
	// clock.max-drift.
	errNodeDrift = errors.New("node clock past clock.max-drift")
	// errNoClock: a live node did not answer on /clock.
	errNoClock = errors.New("node clock unreadable")
)

// reachError wraps a failed connect to the socket at path in
// errUnreachable, as one line that names the path and the reason without
// Go's wrapping ("dial unix ...:").
func reachError(cmd, path string, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		err = op.Err
	}
	return fmt.Errorf("%s: %w at %s: %v (is idcoord serve running there? --socket sets the path)", cmd, errUnreachable, path, err)
}

// exitInterrupted is the exit status after SIGINT: 128 + 2.
const exitInterrupted = 130

// exitError carries an exit status other than 1 for err, which main
// prints as usual; err may be nil (nothing to print).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode is the exit status for err: 0 for nil, the code of an
// exitError, else 1.
func exitCode(err error) int {
	var e *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.code
	}
	return 1
}

// valueError reports a bad config value: the key, the value as given, where
// it came from, and what is wrong with it. It matches errBadValue.
type valueError struct {
	key   string
	value string
	where string // "flag --cluster", "env IDCOORD_CLUSTER", ...; empty for a combination of keys
	err   error
}

// Error returns one line, such as
// `layout.time-bits "x" (env IDCOORD_LAYOUT_TIME_BITS): not an integer`.
func (e *valueError) Error() string {
	if e.where == "" {
		return fmt.Sprintf("%s: %v", e.key, e.err)
	}
	return fmt.Sprintf("%s %q (%s): %v", e.key, e.value, e.where, e.err)
}

// Unwrap returns what is wrong with the value.
func (e *valueError) Unwrap() error { return e.err }

// Is makes every valueError match errBadValue.
func (e *valueError) Is(target error) bool { return target == errBadValue }
