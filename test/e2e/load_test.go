package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// loadOptions is the pace of one node's load client.
type loadOptions struct {
	Rate     int // line requests per second
	MinBatch int // IDs per request, drawn uniformly from [MinBatch, MaxBatch]
	MaxBatch int
	Depth    int // requests in flight on the connection (pipelined)
}

func (o loadOptions) withDefaults() loadOptions {
	if o.Rate == 0 {
		o.Rate = 200
	}
	if o.MinBatch == 0 {
		o.MinBatch = 10
	}
	if o.MaxBatch < o.MinBatch {
		o.MaxBatch = 100
	}
	if o.Depth == 0 {
		o.Depth = 4
	}
	return o
}

// batchRec is one answer of IDs: ids[First:First+N] of the loadLog.
type batchRec struct {
	At    time.Duration // when the answer line was read
	Inc   int64         // node incarnation the connection was made to
	First int
	N     int
}

// errRec is one ERR answer, or an answer that was neither IDs nor ERR.
type errRec struct {
	At   time.Duration
	Inc  int64
	Code string // UNAVAILABLE, BADREQUEST, TOOMANY; GARBAGE or SHORT for a broken answer
	Msg  string
}

// loadLog is everything one node's load client received, in order. Only
// the load goroutine writes it; the checker reads it after the fleet
// finished.
type loadLog struct {
	batches  []batchRec
	ids      []int64
	errs     []errRec
	connects int
}

// runLoad keeps one pipelined line-protocol connection to n's socket and
// logs every answer, until ctx is done. It reconnects when the connection
// ends (a killed node, a restart). A connection is attributed to the
// incarnation that ran both before and after the dial.
func runLoad(ctx context.Context, f *fleet, n *fleetNode, l *loadLog, opts loadOptions, seed int64) {
	opts = opts.withDefaults()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1dc00d))
	for ctx.Err() == nil {
		inc := n.incarnation.Load()
		c, err := net.DialTimeout("unix", n.socket, time.Second)
		if err == nil && n.incarnation.Load() == inc {
			l.connects++
			loadConn(ctx, f, c.(*net.UnixConn), inc, l, opts, rng)
		}
		if c != nil {
			c.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// loadConn runs one connection: a writer paced at opts.Rate with at most
// opts.Depth requests in flight, and the reader here.
func loadConn(ctx context.Context, f *fleet, c *net.UnixConn, inc int64, l *loadLog, opts loadOptions, rng *rand.Rand) {
	pending := make(chan int, opts.Depth) // counts asked, in order
	done := make(chan struct{})
	var writer sync.WaitGroup
	defer func() {
		close(done)
		c.Close()
		writer.Wait()
	}()
	writer.Add(1)
	go func() {
		defer writer.Done()
		tick := time.NewTicker(time.Second / time.Duration(opts.Rate))
		defer tick.Stop()
		var buf []byte
		for {
			select {
			case <-ctx.Done():
				c.Close()
				return
			case <-done:
				return
			case <-tick.C:
			}
			if len(pending) == cap(pending) {
				continue // the node is slow or paused: keep Depth requests queued
			}
			count := opts.MinBatch + rng.IntN(opts.MaxBatch-opts.MinBatch+1)
			pending <- count
			buf = fmt.Appendf(buf[:0], "%d\n", count)
			if _, err := c.Write(buf); err != nil {
				c.Close()
				return
			}
		}
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		at := f.since()
		var want int
		select {
		case want = <-pending:
		default:
			l.errs = append(l.errs, errRec{At: at, Inc: inc, Code: "GARBAGE", Msg: "answer without a request: " + clip(line)})
			return
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if rest, ok := bytes.CutPrefix(line, []byte("ERR ")); ok {
			code, msg, _ := bytes.Cut(rest, []byte(" "))
			l.errs = append(l.errs, errRec{At: at, Inc: inc, Code: string(code), Msg: clip(msg)})
			continue
		}
		first := len(l.ids)
		ids, ok := appendParsed(l.ids, line)
		if !ok {
			l.errs = append(l.errs, errRec{At: at, Inc: inc, Code: "GARBAGE", Msg: clip(line)})
			l.ids = l.ids[:first]
			return
		}
		l.ids = ids
		if got := len(ids) - first; got != want {
			l.errs = append(l.errs, errRec{At: at, Inc: inc, Code: "SHORT", Msg: fmt.Sprintf("asked %d IDs, got %d", want, got)})
		}
		l.batches = append(l.batches, batchRec{At: at, Inc: inc, First: first, N: len(ids) - first})
	}
}

// appendParsed appends the space-separated decimal IDs of line to dst.
func appendParsed(dst []int64, line []byte) ([]int64, bool) {
	var v int64
	digits := 0
	for _, b := range line {
		switch {
		case b >= '0' && b <= '9':
			if digits == 19 {
				return dst, false
			}
			v = v*10 + int64(b-'0')
			digits++
		case b == ' ' && digits > 0:
			dst = append(dst, v)
			v, digits = 0, 0
		default:
			return dst, false
		}
	}
	if digits == 0 {
		return dst, false
	}
	return append(dst, v), true
}

// clip returns b as a string cut to 160 bytes.
func clip(b []byte) string {
	if len(b) > 160 {
		return string(b[:160]) + "..."
	}
	return string(b)
}
