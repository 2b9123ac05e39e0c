package zktest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// logTailBytes is how much of a server log goes into a failure message.
const logTailBytes = 3 << 10

// process is one run of a server binary, with its output appended to a log
// file. done is closed once the process has exited and has been reaped.
type process struct {
	cmd     *exec.Cmd
	done    chan struct{}
	state   string // exit status; read only after done is closed
	logPath string
	logFrom int64 // size of the log when this run started
}

// startProcess runs bin with args and env, appending stdout and stderr to
// logPath.
func startProcess(bin string, args, env []string, logPath string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("zktest: open log: %w", err)
	}
	defer logf.Close() // the child holds its own copy
	from, _ := logf.Seek(0, io.SeekEnd)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = logf
	// The kernel kills the child if the test binary dies first. Strictly, it
	// does so when the OS thread that forked exits; Go keeps its threads
	// unless a goroutine ends while locked to one (runtime.LockOSThread), so
	// do not start servers from such a goroutine.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("zktest: start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), logPath: logPath, logFrom: from}
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState.String()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended and been reaped.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig; a process that has already ended is not an error.
func (p *process) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
}

// stop sends SIGTERM (and SIGCONT, in case the process is paused), waits up
// to grace, then kills it.
func (p *process) stop(grace time.Duration) {
	p.signal(syscall.SIGTERM)
	p.signal(syscall.SIGCONT)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		p.kill()
	}
}

// kill sends SIGKILL and waits until the process is reaped.
func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// logSince returns what this run has written to the log.
func (p *process) logSince() string {
	return readLog(p.logPath, p.logFrom, 1<<20)
}

// logTail returns the last few KiB of the log, for failure messages.
func (p *process) logTail() string {
	return readLog(p.logPath, -1, logTailBytes)
}

// readLog reads up to limit bytes of the file at path from offset from, or
// the last limit bytes when from is negative.
func readLog(path string, from int64, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if from < 0 {
		if fi, err := f.Stat(); err == nil {
			from = max(fi.Size()-limit, 0)
		}
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}
