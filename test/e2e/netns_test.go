package e2e

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// netns is a network namespace with a veth pair into the host: the host
// end has hostAddr, the namespace end nsAddr, in a private /30. The
// namespace and the pair are removed through t.Cleanup.
type netns struct {
	t        *testing.T
	name     string
	hostLink string
	hostAddr string
	nsAddr   string
}

// newNetns creates the namespace, the veth pair and their addresses, and
// brings every link up. It fails the test, naming the command, when one of
// the steps does not work.
func newNetns(t *testing.T) *netns {
	t.Helper()
	tag := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	x := 1 + rand.IntN(250)
	if out, _ := exec.Command("ip", "-o", "addr").Output(); bytes.Contains(out, []byte(fmt.Sprintf(" 10.200.%d.", x))) {
		x = (x + 1 + rand.IntN(250)) % 251
	}
	ns := &netns{t: t, name: "idc-" + tag, hostLink: "idch" + tag,
		hostAddr: fmt.Sprintf("10.200.%d.1", x), nsAddr: fmt.Sprintf("10.200.%d.2", x)}
	nsLink := "idcn" + tag
	t.Cleanup(ns.remove)
	steps := [][]string{
		{"ip", "netns", "add", ns.name},
		{"ip", "link", "add", ns.hostLink, "type", "veth", "peer", "name", nsLink},
		{"ip", "link", "set", nsLink, "netns", ns.name},
		{"ip", "addr", "add", ns.hostAddr + "/30", "dev", ns.hostLink},
		{"ip", "link", "set", ns.hostLink, "up"},
		{"ip", "netns", "exec", ns.name, "ip", "addr", "add", ns.nsAddr + "/30", "dev", nsLink},
		{"ip", "netns", "exec", ns.name, "ip", "link", "set", nsLink, "up"},
		{"ip", "netns", "exec", ns.name, "ip", "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := runCmd(s...); err != nil {
			t.Fatalf("setting up network namespace %s (needs root and ip netns): %v", ns.name, err)
		}
	}
	return ns
}

// exec runs a command inside the namespace.
func (ns *netns) exec(args ...string) error {
	return runCmd(append([]string{"ip", "netns", "exec", ns.name}, args...)...)
}

// command returns the binary and arguments that run bin inside the
// namespace.
func (ns *netns) command(bin string, args ...string) (string, []string) {
	return "ip", append([]string{"netns", "exec", ns.name, bin}, args...)
}

// remove deletes the namespace (its veth end goes with it, and so does the
// host end) and the host end in case the namespace was never made.
func (ns *netns) remove() {
	runCmd("ip", "netns", "del", ns.name)    //nolint:errcheck // it may not exist
	runCmd("ip", "link", "del", ns.hostLink) //nolint:errcheck // gone with its peer
	if out, _ := exec.Command("ip", "netns", "list").Output(); bytes.Contains(out, []byte(ns.name)) {
		ns.t.Errorf("network namespace %s is still there after cleanup", ns.name)
	}
}

func runCmd(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// forwarder accepts TCP connections on one address and copies bytes both
// ways to a target, so that a process in a namespace can reach a server that
// listens on the host's loopback only. It closes through t.Cleanup.
type forwarder struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// newForwarder listens on host:0 and forwards to target.
func newForwarder(t *testing.T, host, target string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("forwarder on %s: %v", host, err)
	}
	fw := &forwarder{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	fw.wg.Add(1)
	go fw.accept()
	t.Cleanup(fw.close)
	return fw
}

// Addr is the listening address, "host:port".
func (fw *forwarder) Addr() string { return fw.ln.Addr().String() }

// Port is the listening port.
func (fw *forwarder) Port() string { return strconv.Itoa(fw.ln.Addr().(*net.TCPAddr).Port) }

func (fw *forwarder) accept() {
	defer fw.wg.Done()
	for {
		c, err := fw.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", fw.target)
		if err != nil {
			c.Close()
			continue
		}
		if !fw.track(c, up) {
			return
		}
		fw.wg.Add(2)
		go fw.pipe(c, up)
		go fw.pipe(up, c)
	}
}

func (fw *forwarder) track(cs ...net.Conn) bool {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		fw.conns[c] = struct{}{}
	}
	return true
}

// pipe copies src to dst and closes both when either side ends.
func (fw *forwarder) pipe(dst, src net.Conn) {
	defer fw.wg.Done()
	io.Copy(dst, src) //nolint:errcheck // either side ending ends the link
	dst.Close()
	src.Close()
	fw.mu.Lock()
	delete(fw.conns, dst)
	delete(fw.conns, src)
	fw.mu.Unlock()
}

func (fw *forwarder) close() {
	fw.mu.Lock()
	fw.closed = true
	for c := range fw.conns {
		c.Close()
	}
	fw.mu.Unlock()
	fw.ln.Close()
	fw.wg.Wait()
}
