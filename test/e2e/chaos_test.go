package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// burst pipelines count one-ID requests on each of conns connections to n
// and reads the answers until each connection has them all or goes quiet
// for quiet. IDs go to the chaos log; it returns the IDs and ERRs read.
func burst(f *fleet, n *fleetNode, conns, count int, quiet time.Duration) (ids, errs, missing int64) {
	var wg sync.WaitGroup
	var nIDs, nErrs, nMissing atomic.Int64
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("unix", n.socket)
			if err != nil {
				nMissing.Add(int64(count))
				return
			}
			defer c.Close()
			go c.Write(bytes.Repeat([]byte("1\n"), count)) //nolint:errcheck // a write cut by Close is expected
			r := bufio.NewReader(c)
			var got []int64
			read := 0
			for read < count {
				c.SetReadDeadline(time.Now().Add(quiet)) //nolint:errcheck
				line, err := r.ReadString('\n')
				if err != nil {
					break
				}
				read++
				line = strings.TrimSpace(line)
				if strings.HasPrefix(line, "ERR ") {
					nErrs.Add(1)
					continue
				}
				if got, err = appendParsedString(got, line); err != nil {
					f.chaos.anomaly("burst on %s: %v", n.name, err)
				}
			}
			nMissing.Add(int64(count - read))
			nIDs.Add(int64(len(got)))
			f.chaos.add(got)
		}()
	}
	wg.Wait()
	return nIDs.Load(), nErrs.Load(), nMissing.Load()
}

func appendParsedString(dst []int64, line string) ([]int64, error) {
	out, ok := appendParsed(dst, []byte(line))
	if !ok {
		return dst, fmt.Errorf("not IDs: %q", clipString(line))
	}
	return out, nil
}

func clipString(s string) string { return clip([]byte(s)) }

func runFrozen(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	f.mark("fault", fmt.Sprintf("clock of %s frozen; 4×2000 pipelined one-ID requests", n.name), sc.target)
	if err := n.setClock("freeze=true"); err != nil {
		f.t.Fatalf("freeze: %v", err)
	}
	done := make(chan [3]int64)
	go func() {
		ids, errs, missing := burst(f, n, 4, 2000, 4*time.Second)
		done <- [3]int64{ids, errs, missing}
	}()
	f.run(2 * time.Second)
	if err := n.setClock("freeze=false"); err != nil {
		f.t.Fatalf("unfreeze: %v", err)
	}
	f.mark("heal", "clock of "+n.name+" runs again", sc.target)
	r := <-done
	sc.note("burst while frozen: %d IDs, %d ERR, %d unanswered", r[0], r[1], r[2])
	f.run(f.steady(3 * time.Second))
}

// postFrozen reports the most IDs any tick of the frozen node carries: the
// sequence holds 4096, so a fuller tick would be a duplicate or an overflow.
func postFrozen(f *fleet, sc *scenarioState, v *verdict) {
	lay, _ := f.layoutOf()
	perTick := map[int64]int{}
	count := func(ids []int64) {
		for _, id := range ids {
			if lay.worker(id) == sc.wid {
				perTick[id>>(lay.seqBits+lay.workerBits)]++
			}
		}
	}
	count(f.loads[sc.target].ids)
	f.chaos.mu.Lock()
	count(f.chaos.ids)
	f.chaos.mu.Unlock()
	fullest := 0
	for _, c := range perTick {
		fullest = max(fullest, c)
	}
	if fullest > 1<<lay.seqBits {
		v.Scenario++
		v.evidence("a tick of WorkerId %d carries %d IDs, more than the %d sequence values", sc.wid, fullest, 1<<lay.seqBits)
	}
	v.Notes = append(v.Notes, fmt.Sprintf("fullest tick of WorkerId %d: %d IDs (cap %d)", sc.wid, fullest, 1<<lay.seqBits))
	v.Notes = append(v.Notes, sc.notes...)
}

func runChaos(f *fleet, sc *scenarioState) {
	n := pickTarget(f, sc)
	f.run(f.steady(1500 * time.Millisecond))
	f.mark("mark", "client chaos on "+n.name, sc.target)
	until := time.Now().Add(f.steady(4 * time.Second))
	var wg sync.WaitGroup
	for k, misbehave := range chaosClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rounds := 0
			for time.Now().Before(until) {
				misbehave(f, n)
				rounds++
			}
			f.chaos.note("chaos client %d: %d rounds", k, rounds)
		}()
	}
	wg.Wait()
	f.mark("mark", "chaos over", sc.target)
	f.run(f.steady(2 * time.Second))
}

// chaosClients misbehave against a node's socket, one round per call.
var chaosClients = []func(f *fleet, n *fleetNode){
	// A client that asks for many IDs and hangs up before reading.
	func(f *fleet, n *fleetNode) {
		if c, err := net.Dial("unix", n.socket); err == nil {
			c.Write([]byte("5000\n")) //nolint:errcheck
			c.Close()
		}
		time.Sleep(2 * time.Millisecond)
	},
	// A request split across writes must still be one request of 123.
	func(f *fleet, n *fleetNode) {
		c, err := net.Dial("unix", n.socket)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			return
		}
		defer c.Close()
		c.Write([]byte("1")) //nolint:errcheck
		time.Sleep(5 * time.Millisecond)
		c.Write([]byte("2")) //nolint:errcheck
		time.Sleep(5 * time.Millisecond)
		c.Write([]byte("3\r\n"))                           //nolint:errcheck
		c.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			f.chaos.anomaly("split request on %s: %v", n.name, err)
			return
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "ERR UNAVAILABLE") {
			return
		}
		ids, err := appendParsedString(nil, line)
		if err != nil || len(ids) != 123 {
			f.chaos.anomaly("split request of 123 on %s answered %d IDs (%v)", n.name, len(ids), err)
		}
		f.chaos.add(ids)
	},
	// A client that reads half an answer and hangs up.
	func(f *fleet, n *fleetNode) {
		c, err := net.Dial("unix", n.socket)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			return
		}
		c.Write([]byte("3000\n"))                          //nolint:errcheck
		c.SetReadDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck
		buf := make([]byte, 4096)
		c.Read(buf) //nolint:errcheck
		c.Close()
	},
	// Garbage, a bad count and an over-long line: a clear error, the
	// connection closed at worst, and nobody else affected.
	func(f *fleet, n *fleetNode) {
		for _, req := range []string{"12x\n", "-5\n", "99999999\n", strings.Repeat("7", 5000)} {
			c, err := net.Dial("unix", n.socket)
			if err != nil {
				time.Sleep(10 * time.Millisecond)
				return
			}
			c.Write([]byte(req))                               //nolint:errcheck
			c.SetReadDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && !strings.HasPrefix(line, "ERR BADREQUEST") && !strings.HasPrefix(line, "ERR TOOMANY") {
				f.chaos.anomaly("bad request %q on %s answered %q", clipString(req), n.name, clipString(line))
			}
		}
	},
	// A real client process killed mid-request.
	func(f *fleet, n *fleetNode) {
		cmd := exec.Command(idcoordBin, "next", "-n", "10000", "--socket", n.socket)
		if cmd.Start() != nil {
			return
		}
		time.Sleep(3 * time.Millisecond)
		cmd.Process.Kill() //nolint:errcheck
		cmd.Wait()         //nolint:errcheck
	},
}
