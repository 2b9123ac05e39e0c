package sidecar

import (
	"context"
	"errors"
	"net"
	"time"
)

// startShutdown stops new connections: it sets the flag and closes the
// listeners and the HTTP hand-off queue.
func (s *Server) startShutdown() error {
	s.mu.Lock()
	s.inShutdown.Store(true)
	var err error
	for l := range s.mu.listeners {
		if cerr := (*l).Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
			err = cerr
		}
	}
	s.mu.Unlock()
	s.once.Do(func() { close(s.done) })
	s.httpQueue.Close()
	return err
}

// Shutdown stops the server gracefully: it closes the listeners, lets every
// request already received finish (pipelined line requests already buffered
// are answered too), closes idle connections, and waits until all are closed
// or ctx is done. It returns ctx's error if ctx ended first; Close then ends
// the rest. Serve returns ErrServerClosed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	lnErr := s.startShutdown()
	httpErr := make(chan error, 1)
	go func() { httpErr <- s.httpSrv.Shutdown(ctx) }()

	wait := time.Millisecond
	t := time.NewTimer(wait)
	defer t.Stop()
	for !s.wakeIdleConns() {
		select {
		case <-ctx.Done():
			<-httpErr
			return ctx.Err()
		case <-t.C:
			wait = min(2*wait, 100*time.Millisecond)
			t.Reset(wait)
		}
	}
	if err := <-httpErr; err != nil {
		return err
	}
	s.wg.Wait()
	return lnErr
}

// wakeIdleConns wakes every connection that waits for a new request, so it
// sees the shutdown and closes. It reports whether no connection is left.
func (s *Server) wakeIdleConns() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.mu.conns {
		if c.idle.Load() {
			c.nc.SetReadDeadline(aLongTimeAgo)
		}
	}
	return len(s.mu.conns) == 0
}

// aLongTimeAgo is a deadline in the past, which wakes a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// Close closes the listeners and every connection at once, cancels requests
// waiting on the Source, and waits for the connection goroutines to end. Serve
// returns ErrServerClosed.
func (s *Server) Close() error {
	err := s.startShutdown()
	s.cancel()
	if herr := s.httpSrv.Close(); herr != nil && err == nil {
		err = herr
	}
	s.mu.Lock()
	for c := range s.mu.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}
