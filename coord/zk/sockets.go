package zkcoord

import (
	"errors"
	"net"
	"sync"
	"time"
)

// sockets are the connections one go-zookeeper client dialled, so that
// closing the client can close them too. go-zookeeper v1.0.4's Close sends
// its close request only while the client is connected: closed while it is
// still connecting, the client connects anyway and then keeps that
// connection open (with pings the server answers) for ever, and the
// goroutine that drains its events never ends. Closing its connections
// after Close ends that loop: with the client told to quit, it does not
// dial again, and sockets refuses it if it tries.
type sockets struct {
	mu     sync.Mutex
	closed bool
	conns  []net.Conn
}

var errSocketsClosed = errors.New("zkcoord: the client was closed")

// dial dials with next and keeps the connection, unless s is closed.
func (s *sockets) dial(next func(network, address string, timeout time.Duration) (net.Conn, error)) func(network, address string, timeout time.Duration) (net.Conn, error) {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil, errSocketsClosed
		}
		c, err := next(network, address, timeout)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			c.Close()
			return nil, errSocketsClosed
		}
		s.conns = append(s.conns, c)
		return c, nil
	}
}

// close closes every connection dialled and refuses any later dial.
func (s *sockets) close() {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		c.Close() // a connection closed already says so; nothing to do
	}
}
