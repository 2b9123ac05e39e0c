package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// segLoadOptions is the pace of one node's segment load: Conns connections,
// each with its own pace (as loadOptions), asking for IDs of a tag drawn at
// random from the fleet's tags for every request.
type segLoadOptions struct {
	Conns int
	loadOptions
}

func (o segLoadOptions) withDefaults() segLoadOptions {
	if o.Conns == 0 {
		o.Conns = 2
	}
	if o.Rate == 0 {
		o.Rate = 25
	}
	if o.MinBatch == 0 {
		o.MinBatch = 1
	}
	if o.MaxBatch < o.MinBatch {
		o.MaxBatch = 200
	}
	if o.Depth == 0 {
		o.Depth = 2
	}
	return o
}

// segmentMaxStep caps the nodes' dynamic step (segment.max-step): at the
// default pace a node asks for about 2,500 IDs of each tag per second, so
// it holds at most a few seconds of IDs (the current segment and the next)
// and runs out during an outage of the store.
const segmentMaxStep = 4000

// segReq is one segment request in flight: what was asked and when it
// was written.
type segReq struct {
	Sent time.Duration
	Tag  int // index into fleet.segTags
	N    int
}

// segRec is one segment answer of IDs: ids[First:First+N] of its segLog.
type segRec struct {
	segReq
	At    time.Duration // when the answer line was read
	Inc   int64         // node incarnation the connection was made to
	Conn  int64         // the node's connection number
	First int
}

// segErr is one ERR answer to a segment request, or an answer that was
// neither IDs nor ERR (GARBAGE, SHORT).
type segErr struct {
	segReq
	At   time.Duration
	Inc  int64
	Conn int64
	Code string
	Msg  string
}

// segLost is a segment request whose connection ended before its answer
// came: End is when the load client saw the end.
type segLost struct {
	segReq
	End  time.Duration
	Inc  int64
	Conn int64
}

// segLog is everything one segment load connection slot of a node
// received, in order. Only its load goroutine writes it; the checker reads
// it after the fleet finished.
type segLog struct {
	recs []segRec
	ids  []int64
	errs []segErr
	lost []segLost
}

// runSegLoad keeps one pipelined segment connection to n's socket and logs
// every answer, until ctx is done; it reconnects when the connection ends.
// conns numbers the node's connections across its slots. A connection is
// attributed to an incarnation as runLoad does.
func runSegLoad(ctx context.Context, f *fleet, n *fleetNode, l *segLog, conns *atomic.Int64, opts segLoadOptions, seed int64) {
	opts = opts.withDefaults()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5e9))
	for ctx.Err() == nil {
		inc := n.incarnation.Load()
		c, err := net.DialTimeout("unix", n.socket, time.Second)
		if err == nil && n.incarnation.Load() == inc {
			segConn(ctx, f, c.(*net.UnixConn), inc, conns.Add(1), l, opts, rng)
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

// segConn runs one connection: a writer paced at opts.Rate with at most
// opts.Depth requests in flight, and the reader here. Requests still in
// flight when the connection ends are logged as lost.
func segConn(ctx context.Context, f *fleet, c *net.UnixConn, inc, conn int64, l *segLog, opts segLoadOptions, rng *rand.Rand) {
	pending := make(chan segReq, opts.Depth)
	done := make(chan struct{})
	var writer sync.WaitGroup
	defer func() {
		close(done)
		c.Close()
		writer.Wait()
		end := f.since()
		for {
			select {
			case r := <-pending:
				l.lost = append(l.lost, segLost{segReq: r, End: end, Inc: inc, Conn: conn})
			default:
				return
			}
		}
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
				continue
			}
			r := segReq{Tag: rng.IntN(len(f.segTags)), N: opts.MinBatch + rng.IntN(opts.MaxBatch-opts.MinBatch+1)}
			buf = fmt.Appendf(buf[:0], "%d %s\n", r.N, f.segTags[r.Tag])
			// The send time is taken before the write: the node cannot
			// have answered earlier.
			r.Sent = f.since()
			pending <- r
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
		var req segReq
		select {
		case req = <-pending:
		default:
			l.errs = append(l.errs, segErr{At: at, Inc: inc, Conn: conn, Code: "GARBAGE", Msg: "answer without a request: " + clip(line)})
			return
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if rest, ok := bytes.CutPrefix(line, []byte("ERR ")); ok {
			code, msg, _ := bytes.Cut(rest, []byte(" "))
			l.errs = append(l.errs, segErr{segReq: req, At: at, Inc: inc, Conn: conn, Code: string(code), Msg: clip(msg)})
			continue
		}
		first := len(l.ids)
		ids, ok := appendParsed(l.ids, line)
		if !ok {
			l.errs = append(l.errs, segErr{segReq: req, At: at, Inc: inc, Conn: conn, Code: "GARBAGE", Msg: clip(line)})
			l.ids = l.ids[:first]
			return
		}
		l.ids = ids
		if got := len(ids) - first; got != req.N {
			l.errs = append(l.errs, segErr{segReq: req, At: at, Inc: inc, Conn: conn, Code: "SHORT",
				Msg: fmt.Sprintf("asked %d IDs of %s, got %d", req.N, f.segTags[req.Tag], got)})
		}
		rec := segRec{segReq: req, At: at, Inc: inc, Conn: conn, First: first}
		rec.N = len(ids) - first
		l.recs = append(l.recs, rec)
	}
}
