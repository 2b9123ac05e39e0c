package testproc

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

const (
	// StopGrace is how long Runner.Stop waits after SIGTERM before it sends
	// SIGKILL.
	StopGrace = 5 * time.Second
	// logTailBytes is how much of a server log goes into a failure message.
	logTailBytes = 3 << 10
	// logSinceBytes bounds what LogSince reads of one run.
	logSinceBytes = 1 << 20
)

// Command is how a server process is run: the binary, its arguments and
// environment, and the file its stdout and stderr are appended to.
type Command struct {
	Bin     string
	Args    []string
	Env     []string
	LogPath string
}

// Process is one run of a server binary, with its output appended to a log
// file. Its methods are safe for concurrent use.
type Process struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	state   string        // exit status; read only after done is closed
	code    int           // exit code, -1 if killed by a signal; read only after done is closed
	logPath string
	logFrom int64 // size of the log when this run started
}

// Start runs c, appending stdout and stderr to c.LogPath, and reaps the
// process in the background once it exits.
func Start(c Command) (*Process, error) {
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testproc: open log: %w", err)
	}
	defer logf.Close() // the child holds its own copy
	from, _ := logf.Seek(0, io.SeekEnd)
	cmd := exec.Command(c.Bin, c.Args...)
	cmd.Env = c.Env
	cmd.Stdout = logf
	cmd.Stderr = logf
	// The kernel kills the child if the test binary dies first. Strictly, it
	// does so when the OS thread that forked exits; Go keeps its threads
	// unless a goroutine ends while locked to one (runtime.LockOSThread), so
	// do not start servers from such a goroutine.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testproc: start %s: %w", c.Bin, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), logPath: c.LogPath, logFrom: from}
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState.String()
		p.code = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	return p, nil
}

// PID returns the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended and been reaped.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitStatus returns the exit status, such as "signal: killed", once the
// process has been reaped, and "" before.
func (p *Process) ExitStatus() string {
	if !p.Exited() {
		return ""
	}
	return p.state
}

// ExitCode returns the exit code once the process has been reaped: -1 if a
// signal ended it, and -1 before it has ended.
func (p *Process) ExitCode() int {
	if !p.Exited() {
		return -1
	}
	return p.code
}

// Signal sends sig; a process that has already ended is not an error.
func (p *Process) Signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
}

// Stop sends SIGTERM (and SIGCONT, in case the process is paused), waits up
// to grace, then kills it. It returns once the process has been reaped.
func (p *Process) Stop(grace time.Duration) {
	p.Signal(syscall.SIGTERM)
	p.Signal(syscall.SIGCONT)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		p.Kill()
	}
}

// Kill sends SIGKILL and waits until the process is reaped.
func (p *Process) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// LogSince returns what this run has written to the log, up to 1 MiB.
func (p *Process) LogSince() string {
	return readLog(p.logPath, p.logFrom, logSinceBytes)
}
