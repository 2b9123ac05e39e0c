package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idcoord/idcoord/sidecar/sidecartest"
	"github.com/idcoord/idcoord/testsupport/testproc"
)

// coldNoStore is a node started with its clock 20s behind while its store
// never answers: it must refuse to serve and exit non-zero once it gives
// up (after about 30s), so it runs beside the rest of the matrix.
type coldNoStore struct {
	proc    *testproc.Process
	socket  string
	exited  chan struct{} // closed once ended is set, after proc is done
	started time.Time
	ended   time.Duration // since started; set before exited is closed
	probe1  chan string
}

func startColdNoStore(t *testing.T) *coldNoStore {
	dir := sidecartest.ShortDir(t)
	c := &coldNoStore{socket: filepath.Join(dir, "s.sock"), exited: make(chan struct{}), started: time.Now(),
		probe1: make(chan string, 1)}
	dead := refusingAddr(t)
	p, err := testproc.Start(testproc.Command{Bin: idcoordBin, Args: []string{"serve", "--coord", "etcd",
		"--etcd.endpoints", dead, "--cluster", "cold", "--node.name", "cold-0", "--socket", c.socket,
		"--admin.addr", fmt.Sprintf("127.0.0.1:%d", testproc.MustFreePort(t)),
		"--layout.worker-bits", workerBits, "--lease.ttl", fleetTTL.String(), "--log.format", "console"},
		Env: append(os.Environ(), "IDCOORD_FAULTCLOCK_OFFSET=-20s"), LogPath: filepath.Join(dir, "node.log")})
	if err != nil {
		t.Fatal(err)
	}
	c.proc = p
	go func() {
		<-p.Done()
		c.ended = time.Since(c.started)
		close(c.exited)
	}()
	t.Cleanup(func() { p.Kill(); <-c.exited })
	go func() {
		time.Sleep(2 * time.Second)
		c.probe1 <- c.probe()
	}()
	return c
}

// refusingAddr holds a loopback port for the test and closes every
// connection made to it at once: a store that is never up. A port merely
// found free could be handed to a store that a later scenario starts, and
// the node would then find a store after all.
func refusingAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			conn.Close()
		}
	}()
	return ln.Addr().String()
}

// probe asks the starting node for an ID.
func (c *coldNoStore) probe() string {
	conn, err := net.DialTimeout("unix", c.socket, time.Second)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer conn.Close()
	fmt.Fprint(conn, "1\n")
	conn.SetReadDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "read: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// finish waits for the node to give up and judges it.
func (c *coldNoStore) finish(t *testing.T) row {
	v := verdict{FaultToUnavailable: -1, HealToGood: -1}
	select {
	case <-c.exited:
	case <-time.After(max(60*time.Second-time.Since(c.started), time.Millisecond)):
		v.Scenario++
		v.evidence("cold-0 still running %s after starting with no store", time.Since(c.started).Round(time.Second))
	}
	code, ran := -1, time.Since(c.started)
	select {
	case <-c.exited:
		code = c.proc.ExitCode()
		ran = c.ended
	default:
	}
	last := ""
	if l := lines(c.proc.LogSince()); len(l) > 0 {
		last = l[len(l)-1]
	}
	if code <= 0 {
		v.Scenario++
		v.evidence("cold-0 exit %d, want non-zero: %s", code, last)
	}
	var probes []string
	select {
	case p := <-c.probe1:
		probes = append(probes, p)
	case <-time.After(5 * time.Second):
	}
	for _, p := range probes {
		if !strings.HasPrefix(p, "ERR UNAVAILABLE") && !strings.HasPrefix(p, "dial:") && !strings.HasPrefix(p, "read:") {
			v.Scenario++
			v.evidence("cold-0 answered %q while it had no store", p)
		}
	}
	v.Notes = append(v.Notes, fmt.Sprintf("no store, clock -20s: probe after 2s answered %q; exited %d after %s: %s",
		probes, code, ran.Round(time.Second), last))
	return row{id: "7b", name: "cold start, clock -20s, store never up", v: v, took: time.Since(c.started)}
}
