package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer is the target the proxy forwards to: it writes back what it reads
// and reports each connection's end on ended.
type echoServer struct {
	ln       net.Listener
	accepted atomic.Int32
	ended    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &echoServer{ln: ln, ended: make(chan struct{}, 100)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				_, _ = io.Copy(c, c)
				_ = c.Close()
				s.ended <- struct{}{}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *echoServer) addr() string { return s.ln.Addr().String() }

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// send writes msg to c.
func send(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
}

// echoes sends msg on c and expects it back within patience.
func echoes(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	send(t, c, msg)
	expect(t, c, msg, patience)
}

// expect reads len(want) bytes within wait and compares them with want.
func expect(t *testing.T, c net.Conn, want string, wait time.Duration) {
	t.Helper()
	got, err := readN(c, len(want), wait)
	if err != nil {
		t.Fatalf("read %d bytes (want %q): %v (got %q)", len(want), want, err, got)
	}
	if got != want {
		t.Fatalf("read %q, want %q", got, want)
	}
}

func readN(c net.Conn, n int, wait time.Duration) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	buf := make([]byte, n)
	k, err := io.ReadFull(c, buf)
	return string(buf[:k]), err
}

// expectSilence checks that nothing arrives on c for wait.
func expectSilence(t *testing.T, c net.Conn, wait time.Duration) {
	t.Helper()
	got, err := readN(c, 1, wait)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read during %v of silence: got %q, err %v; want a timeout", wait, got, err)
	}
}

// expectBroken checks that c ends (EOF or reset) within wait.
func expectBroken(t *testing.T, c net.Conn, wait time.Duration) {
	t.Helper()
	got, err := readN(c, 1, wait)
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("read: got %q, err %v; want EOF or a reset", got, err)
	}
}
