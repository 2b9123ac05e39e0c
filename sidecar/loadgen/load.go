package loadgen

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// redialPause is how long a load goroutine waits after a failed reconnect
// before it tries again.
const redialPause = 10 * time.Millisecond

// worker is one closed-loop load goroutine and what it measured. The
// counters are atomic because the progress line reads them while the run
// goes on; everything else belongs to the goroutine until it ends.
type worker struct {
	ok   atomic.Int64 // answered requests
	errs atomic.Int64 // failed requests, of every kind

	hist       latencyHist
	kinds      [numErrKinds]int64
	firstErr   [numErrKinds]string // the first error of each kind, for the report
	violations int64               // IDs not above the previous one on the connection
}

// run drives one connection, request after request, until the load stops.
// The latency of a request runs from the end of the previous one (or the
// connect) to the end of its answer: one clock read per request.
func (g *Generator) run(w *worker, conn loadConn) {
	ids := make([]int64, 0, g.batch)
	var last int64 // the connection's latest ID
	start := time.Now()
	for !g.stopped.Load() {
		var err error
		ids, err = conn.appendIDs(ids[:0], g.batch)
		now := time.Now()
		if err == nil {
			w.hist.record(now.Sub(start))
			for _, id := range ids {
				if id <= last {
					w.violations++
				}
				last = id
			}
			w.ok.Add(1)
			start = now
			continue
		}
		if g.stopped.Load() {
			break // a request cut off by the end of the run is not an error
		}
		w.fail(err)
		if !conn.usable() {
			conn.close()
			if conn = g.redial(w); conn == nil {
				return
			}
			last = 0
		}
		start = time.Now()
	}
	conn.close()
}

// fail counts a failed request.
func (w *worker) fail(err error) {
	k := classify(err)
	if w.kinds[k] == 0 {
		w.firstErr[k] = err.Error()
	}
	w.kinds[k]++
	w.errs.Add(1)
}

// redial replaces a broken connection, retrying until the load stops, when
// it returns nil. Each failed attempt counts as a dial error.
func (g *Generator) redial(w *worker) loadConn {
	for !g.stopped.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := g.dialer.dial(ctx)
		cancel()
		if err == nil {
			return conn
		}
		if w.kinds[kindDial] == 0 {
			w.firstErr[kindDial] = err.Error()
		}
		w.kinds[kindDial]++
		w.errs.Add(1)
		t := time.NewTimer(redialPause)
		select {
		case <-t.C:
		case <-g.stop:
			t.Stop()
		}
	}
	return nil
}

// totals sums the workers' counters.
func (g *Generator) totals() (ok, errs int64) {
	for _, w := range g.workers {
		ok += w.ok.Load()
		errs += w.errs.Load()
	}
	return ok, errs
}

// start launches one goroutine per connection and returns a function that
// stops them and waits until they are done.
func (g *Generator) start(conns []loadConn) (stop func()) {
	g.stop = make(chan struct{})
	g.workers = make([]*worker, len(conns))
	var wg sync.WaitGroup
	for i, conn := range conns {
		w := &worker{}
		g.workers[i] = w
		wg.Go(func() { g.run(w, conn) })
	}
	return func() {
		g.stopped.Store(true)
		close(g.stop)
		wg.Wait()
	}
}

// progress writes one line a second to w until done is closed: the time
// since start and, over the last second, requests/s, IDs/s and errors.
func (g *Generator) progress(w io.Writer, start time.Time, done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prevAt := start
	var prevOK, prevErrs int64
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			ok, errs := g.totals()
			secs := now.Sub(prevAt).Seconds()
			reqs := float64(ok-prevOK) / secs
			fmt.Fprintf(w, "%5.0fs  %10.0f req/s  %12.0f IDs/s  %d errors\n",
				now.Sub(start).Seconds(), reqs, reqs*float64(g.batch), errs-prevErrs)
			prevAt, prevOK, prevErrs = now, ok, errs
		}
	}
}
