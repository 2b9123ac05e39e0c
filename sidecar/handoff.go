package sidecar

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// handOffHTTP gives c to the HTTP server. It reports false if the server is
// shutting down; the caller then closes c.
func (s *Server) handOffHTTP(c *conn) bool {
	c.nc.SetReadDeadline(time.Time{})
	return s.httpQueue.push(&httpConn{Conn: c.nc, r: c.r, s: s})
}

// httpConn is a connection handed to the HTTP server. It first replays the
// bytes read while telling the protocol apart, and releases its slot when
// closed.
type httpConn struct {
	net.Conn
	r      *bufio.Reader // nil once drained
	s      *Server
	closed atomic.Bool
}

// Read reads the replayed bytes first, then the connection. net/http never
// reads one connection from two goroutines at once.
func (c *httpConn) Read(p []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(p)
		}
		c.r = nil
	}
	return c.Conn.Read(p)
}

// Close closes the connection and releases its slot once.
func (c *httpConn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.s.connClosed()
	}
	return err
}

// connQueue is the net.Listener the HTTP server accepts from: connections
// whose first byte began an HTTP request.
type connQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to Accept. It reports false once the queue is closed.
func (q *connQueue) push(c net.Conn) bool {
	select {
	case q.ch <- c:
		return true
	case <-q.done:
		return false
	}
}

// Accept returns the next handed-off connection.
func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and push fail from now on.
func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

// Addr names the queue.
func (q *connQueue) Addr() net.Addr { return queueAddr{} }

type queueAddr struct{}

func (queueAddr) Network() string { return "unix" }
func (queueAddr) String() string  { return "sidecar-http" }
