package testproc

import (
	"fmt"
	"sync"
	"syscall"
)

// Runner holds the successive runs of one server: the process started last,
// which Stop, Kill, Pause and Resume act on. The zero value has no process.
// All methods are safe for concurrent use; Stop, Kill and Relaunch are
// serialized. A Runner must not be copied.
type Runner struct {
	life sync.Mutex // serializes Stop, Kill and Relaunch
	mu   struct {
		sync.Mutex
		proc *Process // the process started last; nil before the first start
	}
}

// Launch starts c as a new run. It fails with ErrRunning if the run
// started last has not ended.
func (r *Runner) Launch(c Command) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.mu.proc; p != nil && !p.Exited() {
		return fmt.Errorf("%w as PID %d", ErrRunning, p.PID())
	}
	p, err := Start(c)
	if err != nil {
		return err
	}
	r.mu.proc = p
	return nil
}

// Relaunch stops the current run as Stop does, if there is one, and starts c
// as a new run, without waiting for it to serve.
func (r *Runner) Relaunch(c Command) error {
	r.life.Lock()
	defer r.life.Unlock()
	if p := r.Current(); p != nil {
		p.Stop(StopGrace)
	}
	return r.Launch(c)
}

// Current returns the process started last, whether or not it still runs,
// or nil before the first start.
func (r *Runner) Current() *Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.proc
}

// PID returns the process ID of the run started last, whether or not it is
// still running, or 0 before the first start.
func (r *Runner) PID() int {
	if p := r.Current(); p != nil {
		return p.PID()
	}
	return 0
}

// Running reports whether the run started last has not exited. A paused
// process is running.
func (r *Runner) Running() bool {
	p := r.Current()
	return p != nil && !p.Exited()
}

// Stop ends the current run gracefully: SIGTERM, then SIGKILL after
// StopGrace. It returns once the process has been reaped; a stopped Runner
// is left as it is.
func (r *Runner) Stop() {
	r.life.Lock()
	defer r.life.Unlock()
	if p := r.Current(); p != nil {
		p.Stop(StopGrace)
	}
}

// Kill ends the current run with SIGKILL, as a crash would, and waits until
// it has been reaped.
func (r *Runner) Kill() {
	r.life.Lock()
	defer r.life.Unlock()
	if p := r.Current(); p != nil {
		p.Kill()
	}
}

// Pause freezes the current run with SIGSTOP: its sockets stay open and
// silent. It returns once the kernel reports every thread stopped (at most
// 2s), so nothing is served after Pause returns.
func (r *Runner) Pause() { r.signalAndWait(syscall.SIGSTOP, true) }

// Resume continues a paused run with SIGCONT and returns once no thread is
// stopped (at most 2s).
func (r *Runner) Resume() { r.signalAndWait(syscall.SIGCONT, false) }

func (r *Runner) signalAndWait(sig syscall.Signal, stopped bool) {
	if p := r.Current(); p != nil && !p.Exited() {
		p.Signal(sig)
		waitStopped(p.PID(), stopped)
	}
}
