package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// restartBackoff is how long the supervisor waits before it starts a node
// that exited on its own again, as a pod's restart policy would.
const restartBackoff = 300 * time.Millisecond

// exitRecord is one process exit the supervisor saw.
type exitRecord struct {
	Incarnation int64
	At          time.Duration
	Code        int
	LastLine    string
}

// fleetNode is one supervised `idcoord serve` node of a fleet: a process
// that is started again after it exits on its own (no free WorkerId, a
// refusal), unless the test holds it down. Every start is a new incarnation.
// Its methods are safe for concurrent use.
type fleetNode struct {
	f       *fleet
	name    string
	socket  string
	admin   string // where the test reaches the admin listener
	args    []string
	logPath string
	ns      *netns // nil: the host's network namespace

	incarnation atomic.Int64

	mu struct {
		sync.Mutex
		proc  *testproc.Process
		inc   int64         // of proc
		hold  chan struct{} // non-nil: stay down until closed
		env   []string      // extra environment of the next start
		auto  bool          // restart after an exit the test did not cause
		exits []exitRecord
		// offsets is every offset the node ran with, in time order.
		offsets []offsetChange
		// launches[i] is when incarnation i+1 was launched.
		launches []time.Duration
		// pauses are the SIGSTOP..SIGCONT spans, in time order; To is -1
		// while the node is stopped.
		pauses []pause
	}
}

// pause is a span the test kept the node stopped.
type pause struct{ From, To time.Duration }

// offsetChange is a faultclock offset the node's clock ran with from At on,
// for converting ID timestamps back to true time.
type offsetChange struct {
	At     time.Duration
	Offset time.Duration
}

// launchLocked starts a new incarnation.
func (n *fleetNode) launchLocked() error {
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	inc := n.incarnation.Add(1)
	fmt.Fprintf(logf, "=== %s incarnation %d at %s (env %v)\n", n.name, inc, n.f.since(), n.mu.env)
	var offset time.Duration
	for _, e := range n.mu.env {
		if v, ok := strings.CutPrefix(e, "IDCOORD_FAULTCLOCK_OFFSET="); ok {
			offset, _ = time.ParseDuration(v)
		}
	}
	n.mu.offsets = append(n.mu.offsets, offsetChange{At: n.f.since(), Offset: offset})
	n.mu.launches = append(n.mu.launches, n.f.since())
	c := testproc.Command{Bin: idcoordBin, Args: n.args, Env: append(os.Environ(), n.mu.env...), LogPath: n.logPath}
	if n.ns != nil {
		c.Bin, c.Args = n.ns.command(idcoordBin, n.args...)
	}
	p, err := testproc.Start(c)
	if err != nil {
		return err
	}
	n.mu.proc, n.mu.inc = p, inc
	return nil
}

// supervise runs the node until ctx is done: it records every exit and
// starts the node again after restartBackoff, unless the test holds it down
// or turned restarts off, in which case it waits for up().
func (n *fleetNode) supervise(ctx context.Context) {
	for {
		n.mu.Lock()
		p, inc := n.mu.proc, n.mu.inc
		n.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-p.Done():
		}
		n.mu.Lock()
		n.mu.exits = append(n.mu.exits, exitRecord{Incarnation: inc, At: n.f.since(),
			Code: p.ExitCode(), LastLine: lastLogLine(n.logPath)})
		if n.mu.proc != p { // up() already started the next one
			n.mu.Unlock()
			continue
		}
		if n.mu.hold != nil || !n.mu.auto {
			if n.mu.hold == nil {
				n.mu.hold = make(chan struct{})
			}
			hold := n.mu.hold
			n.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-hold: // up() started the next incarnation
			}
			continue
		}
		n.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(restartBackoff):
		}
		n.mu.Lock()
		if n.mu.hold == nil && n.mu.auto && n.mu.proc == p {
			if err := n.launchLocked(); err != nil {
				n.f.logf("restarting %s: %v", n.name, err)
			}
		}
		n.mu.Unlock()
	}
}

// down sends sig and keeps the node down once it exits; it returns when the
// process has been reaped.
func (n *fleetNode) down(sig syscall.Signal) {
	n.mu.Lock()
	if n.mu.hold == nil {
		n.mu.hold = make(chan struct{})
	}
	p := n.mu.proc
	n.mu.Unlock()
	p.Signal(sig)
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		p.Kill()
	}
}

// up starts a new incarnation with extra environment; auto says whether the
// supervisor restarts it after it exits by itself.
func (n *fleetNode) up(auto bool, env ...string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.env, n.mu.auto = env, auto
	if err := n.launchLocked(); err != nil {
		return err
	}
	if n.mu.hold != nil {
		close(n.mu.hold)
		n.mu.hold = nil
	}
	return nil
}

// signal sends sig to the running incarnation; it records the spans
// between SIGSTOP and SIGCONT.
func (n *fleetNode) signal(sig syscall.Signal) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case sig == syscall.SIGSTOP:
		n.mu.pauses = append(n.mu.pauses, pause{From: n.f.since(), To: -1})
	case sig == syscall.SIGCONT && len(n.mu.pauses) > 0 && n.mu.pauses[len(n.mu.pauses)-1].To < 0:
		// Stamped once the signal is sent: the span covers all of the stop.
		defer func() { n.mu.pauses[len(n.mu.pauses)-1].To = n.f.since() }()
	}
	n.mu.proc.Signal(sig)
}

// pausedWithin is how much of [from, to] the node spent stopped.
func (n *fleetNode) pausedWithin(from, to time.Duration) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	var d time.Duration
	for _, p := range n.mu.pauses {
		end := p.To
		if end < 0 {
			end = to
		}
		if lo, hi := max(from, p.From), min(to, end); hi > lo {
			d += hi - lo
		}
	}
	return d
}

// launchedAt is when incarnation inc was launched: before its process
// existed.
func (n *fleetNode) launchedAt(inc int64) (time.Duration, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if inc < 1 || int(inc) > len(n.mu.launches) {
		return 0, false
	}
	return n.mu.launches[inc-1], true
}

// exitOf waits up to timeout for the exit record of incarnation inc: the
// supervisor records an exit just after the process's exit channel closes.
func (n *fleetNode) exitOf(inc int64, timeout time.Duration) (exitRecord, bool) {
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		for _, e := range n.exits() {
			if e.Incarnation == inc {
				return e, true
			}
		}
		if time.Now().After(deadline) {
			return exitRecord{}, false
		}
	}
}

// waitReady waits until the node's /readyz answers 200, or fails the test.
func (n *fleetNode) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 500 * time.Millisecond}
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := client.Get("http://" + n.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s; last log line: %s", n.name, timeout, lastLogLine(n.logPath))
		}
	}
}

// exitedCh returns the channel closed when the current incarnation exits.
func (n *fleetNode) exitedCh() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mu.proc.Done()
}

// exits returns the exits seen so far.
func (n *fleetNode) exits() []exitRecord {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]exitRecord(nil), n.mu.exits...)
}

// kill ends the current incarnation with SIGKILL and waits for it.
func (n *fleetNode) kill() {
	n.mu.Lock()
	p := n.mu.proc
	n.mu.auto = false
	n.mu.Unlock()
	p.Kill()
}

// setClock posts to the node's faultclock endpoint (for example
// "offset=-10s" or "freeze=true") and remembers an offset for the checker.
func (n *fleetNode) setClock(query string) error {
	// Recorded before the node sees it: an ID issued under the new offset
	// must never be converted with the old one.
	if v, ok := strings.CutPrefix(query, "offset="); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		n.mu.Lock()
		n.mu.offsets = append(n.mu.offsets, offsetChange{At: n.f.since(), Offset: d})
		n.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+n.admin+"/debug/faultclock?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("faultclock %s: %s", query, resp.Status)
	}
	return nil
}

// maxOffset returns the largest clock offset the node ran with at any time
// in [from, to].
func (n *fleetNode) maxOffset(from, to time.Duration) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	var best, inEffect time.Duration
	first := true
	for _, c := range n.mu.offsets {
		if c.At <= from {
			inEffect = c.Offset
			continue
		}
		if c.At > to {
			break
		}
		if first {
			best, first = inEffect, false
		}
		best = max(best, c.Offset)
	}
	if first {
		return inEffect
	}
	return max(best, inEffect)
}

// lastLogLine returns the last non-empty line of a log file.
func lastLogLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	l := lines(string(b))
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}

// nodePlace says where a node runs: in the host's network namespace, or in
// ns, where its admin listener is reached at the namespace's address.
type nodePlace struct {
	ns *netns
}

// newFleetNode prepares (does not start) a node.
func newFleetNode(f *fleet, name string, extra []string, place nodePlace) *fleetNode {
	dir := sidecartest.ShortDir(f.t)
	port := testproc.MustFreePort(f.t)
	n := &fleetNode{f: f, name: name, ns: place.ns,
		socket:  filepath.Join(dir, "s.sock"),
		admin:   fmt.Sprintf("127.0.0.1:%d", port),
		logPath: filepath.Join(f.logDir, name+".log"),
	}
	listen := n.admin
	if n.ns != nil {
		n.admin = fmt.Sprintf("%s:%d", n.ns.nsAddr, port)
		listen = fmt.Sprintf("0.0.0.0:%d", port)
	}
	n.args = append([]string{"serve", "--node.name", name, "--socket", n.socket, "--admin.addr", listen,
		"--log.format", "console", "--log.level", "info"}, extra...)
	n.mu.auto = true
	return n
}
