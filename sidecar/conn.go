package sidecar

import (
	"bufio"
	"net"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Buffer sizes per connection. A line request fits the reader many times
// over; the writer holds a few hundred IDs before it flushes.
const (
	readBufSize  = 4096
	writeBufSize = 8192
	// keepIDs is the largest ID buffer a connection keeps between requests;
	// bigger batches get a buffer of their own.
	keepIDs = 1024
)

// conn is one accepted connection until it is known to speak HTTP. Only its
// own goroutine touches it, except idle and nc, which Shutdown uses.
type conn struct {
	s   *Server
	nc  net.Conn
	r   *bufio.Reader
	w   *bufio.Writer // line protocol only
	ids []int64
	tag string // of the last segment request, reused while it repeats

	// idle is set while the connection waits for the first byte of a request.
	idle atomic.Bool
	// rdl and wdl are the read and write deadlines last set on nc.
	rdl, wdl time.Time
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{s: s, nc: nc}
}

// serve checks the peer, tells the protocol from the first byte, and serves
// the connection until it ends. It closes nc unless the HTTP server took it.
func (c *conn) serve() {
	s := c.s
	handedOff := false
	defer func() {
		s.trackConn(c, false)
		if !handedOff {
			c.nc.Close()
			s.connClosed()
		}
		s.wg.Done()
	}()
	if s.cfg.AllowedUIDs != nil && !s.peerAllowed(c.nc) {
		return
	}
	c.r = bufio.NewReaderSize(c.nc, max(readBufSize, s.cfg.MaxLineBytes+2))
	if !c.waitIdle(time.Now()) {
		return
	}
	b, err := c.r.Peek(1)
	c.idle.Store(false)
	if err != nil {
		return
	}
	switch b0 := b[0]; {
	case 'A' <= b0 && b0 <= 'Z':
		handedOff = s.handOffHTTP(c)
	case isLineStart(b0):
		c.serveLine()
	default:
		c.w = bufio.NewWriterSize(c.nc, 512)
		c.writeErr(resultBadRequest, "unknown protocol: the first byte must start an HTTP method or a decimal count")
		c.flush(time.Now())
		s.metrics.count(protoLine, resultBadRequest, 0)
		s.log.Debug("closed a connection that spoke neither protocol", zap.Uint8("first-byte", b0))
	}
}

// waitIdle prepares to wait for a new request: it extends the read deadline
// to the idle timeout and marks the connection idle. It reports false if the
// server is shutting down. The flag is checked after the deadline is set, so
// Shutdown's wake-up cannot be overwritten unseen.
func (c *conn) waitIdle(now time.Time) bool {
	idle := c.s.cfg.IdleTimeout
	if want := now.Add(idle); want.Sub(c.rdl) > idle/8 {
		c.nc.SetReadDeadline(want)
		c.rdl = want
	}
	c.idle.Store(true)
	if c.s.inShutdown.Load() {
		c.idle.Store(false)
		return false
	}
	return true
}

// waitRest sets the read deadline for the rest of a request that has begun.
func (c *conn) waitRest(now time.Time) {
	c.rdl = now.Add(c.s.cfg.ReadTimeout)
	c.nc.SetReadDeadline(c.rdl)
}

// flush writes out the buffered answers. The write deadline is extended
// only when an eighth of it has passed, to keep deadline updates off most
// requests.
func (c *conn) flush(now time.Time) error {
	wt := c.s.cfg.WriteTimeout
	if want := now.Add(wt); want.Sub(c.wdl) > wt/8 {
		c.nc.SetWriteDeadline(want)
		c.wdl = want
	}
	return c.w.Flush()
}
