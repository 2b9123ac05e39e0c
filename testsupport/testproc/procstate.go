package testproc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

const (
	// stateWait bounds the wait for the kernel to stop or continue every
	// thread of a process after SIGSTOP or SIGCONT.
	stateWait = 2 * time.Second
	// statePoll is the pause between two looks at /proc.
	statePoll = time.Millisecond
)

// waitStopped waits until every thread of pid is stopped (stopped true) or
// none is (stopped false), as /proc/PID/task/*/stat reports. Signals are
// delivered asynchronously: a thread running on another CPU keeps serving
// until it next enters the kernel. It reports false if that does not happen
// within stateWait or the process is gone.
func waitStopped(pid int, stopped bool) bool {
	deadline := time.Now().Add(stateWait)
	for {
		all, none, ok := threadsStopped(pid)
		if !ok {
			return false
		}
		if (stopped && all) || (!stopped && none) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(statePoll)
	}
}

// threadsStopped reports whether all or none of pid's threads are stopped
// ('T' state). ok is false if the process is gone or a zombie.
func threadsStopped(pid int) (all, none, ok bool) {
	stats, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "stat"))
	if err != nil || len(stats) == 0 {
		return false, false, false
	}
	all, none = true, true
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread has just exited
		}
		state, valid := procState(b)
		if !valid || state == 'Z' || state == 'X' {
			return false, false, false
		}
		if state == 'T' {
			none = false
		} else {
			all = false
		}
	}
	return all, none, true
}

// procState returns the state letter of a /proc/.../stat line:
// "PID (COMM) S ...". COMM may itself hold spaces and parentheses, so the
// state follows the last ')'.
func procState(stat []byte) (byte, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) || stat[i+1] != ' ' {
		return 0, false
	}
	return stat[i+2], true
}
