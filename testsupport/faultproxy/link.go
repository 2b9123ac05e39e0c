package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

const (
	// chunkSize is the most one read takes from a connection.
	chunkSize = 16 << 10
	// queueLen is how many chunks a direction holds before it stops reading,
	// which pushes back on the sender through TCP flow control.
	queueLen = 64
)

// chunk is one read from a connection, or the end of the stream (eof), with
// the time it may be written to the other side.
type chunk struct {
	data []byte
	eof  bool
	due  time.Time
}

// link is one proxied connection: the client's side and, once dialed, the
// target's side. Each direction has a reader that stamps chunks and a writer
// that releases them in order.
type link struct {
	p      *Proxy
	client net.Conn
	ctx    context.Context // canceled when the link is torn down
	cancel context.CancelFunc
	once   sync.Once

	mu       sync.Mutex
	upstream net.Conn // nil until dialed
}

func newLink(p *Proxy, client net.Conn) *link {
	ctx, cancel := context.WithCancel(context.Background())
	return &link{p: p, client: client, ctx: ctx, cancel: cancel}
}

// run dials the target once the Proxy is not blocked, then forwards both
// directions until both have ended.
func (l *link) run() {
	defer l.p.wg.Done()
	defer l.p.removeLink(l)
	if !l.p.waitOpen(l.ctx.Done()) {
		l.stop(true)
		return
	}
	up, err := l.dial()
	if err != nil || !l.setUpstream(up) {
		l.stop(true)
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		l.forward(l.client, up)
	}()
	go func() {
		defer wg.Done()
		l.forward(up, l.client)
	}()
	wg.Wait()
	l.stop(false)
}

func (l *link) dial() (net.Conn, error) {
	ctx, cancel := context.WithTimeout(l.ctx, l.p.dialTimeout)
	defer cancel()
	var d net.Dialer
	return d.DialContext(ctx, "tcp", l.p.target)
}

// setUpstream records the dialed connection; it reports false (and closes
// up) if the link was torn down during the dial.
func (l *link) setUpstream(up net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		resetConn(up)
		return false
	}
	l.upstream = up
	return true
}

// stop tears the link down once; reset makes the peers see ECONNRESET
// instead of an orderly close.
func (l *link) stop(reset bool) {
	l.once.Do(func() {
		l.cancel()
		l.mu.Lock()
		up := l.upstream
		l.mu.Unlock()
		for _, c := range []net.Conn{l.client, up} {
			if c == nil {
				continue
			}
			if reset {
				resetConn(c)
			} else {
				_ = c.Close()
			}
		}
	})
}

// forward copies src to dst through the fault controls until src ends or the
// link is torn down.
func (l *link) forward(src, dst net.Conn) {
	q := make(chan chunk, queueLen)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.write(dst, q)
	}()
	l.read(src, q)
	close(q)
	wg.Wait()
}

func (l *link) read(src net.Conn, q chan<- chunk) {
	var due time.Time
	for {
		buf := make([]byte, chunkSize)
		n, err := src.Read(buf)
		if n > 0 {
			if l.p.drop() {
				l.stop(true)
				return
			}
			due = l.p.release(due)
			if !l.enqueue(q, chunk{data: buf[:n], due: due}) {
				return
			}
		}
		if errors.Is(err, io.EOF) {
			due = l.p.release(due)
			l.enqueue(q, chunk{eof: true, due: due})
			return
		}
		if err != nil {
			l.stop(true)
			return
		}
	}
}

func (l *link) enqueue(q chan<- chunk, c chunk) bool {
	select {
	case q <- c:
		return true
	case <-l.ctx.Done():
		return false
	}
}

func (l *link) write(dst net.Conn, q <-chan chunk) {
	for c := range q {
		if !l.sleepUntil(c.due) || !l.p.waitOpen(l.ctx.Done()) {
			return
		}
		if c.eof {
			closeWrite(dst)
			return
		}
		if _, err := dst.Write(c.data); err != nil {
			l.stop(true)
			return
		}
	}
}

// sleepUntil waits until t; it returns false if the link is torn down first.
func (l *link) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-l.ctx.Done():
		return false
	}
}

// resetConn closes c so that its peer sees a reset rather than an orderly EOF.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// closeWrite passes an orderly end of stream on to the other side.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}
