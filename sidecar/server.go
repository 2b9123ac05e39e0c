package sidecar

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Server serves IDs from a Source over stream listeners (a Unix socket made
// by Listen), speaking the line protocol and HTTP/1.1 on the same listener.
// Its methods are safe for concurrent use. A Server is used once: after
// Shutdown or Close, Serve returns ErrServerClosed.
type Server struct {
	cfg     Config
	src     Source
	segs    SegmentSource // nil: segment mode is not served
	log     *zap.Logger
	metrics *metrics

	// ctx is passed to Source.AppendIDs for line requests; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when shutting down starts
	once   sync.Once     // closes done

	inShutdown atomic.Bool  // written under mu
	open       atomic.Int64 // connections counted against MaxConns

	httpSrv   *http.Server
	httpQueue *connQueue
	wg        sync.WaitGroup // the HTTP serving goroutine and every connection goroutine

	refusedLog logLimiter

	mu struct {
		sync.Mutex
		httpStarted bool
		listeners   map[*net.Listener]struct{}
		conns       map[*conn]struct{} // connections not handed to the HTTP server
	}
}

// New returns a Server for cfg, after validating it. It returns an error
// wrapping ErrBadConfig, or the Registry's error if the metrics cannot be
// registered.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("sidecar: registering metrics: %w", err)
	}
	s := &Server{
		cfg:       cfg,
		src:       cfg.Source,
		segs:      cfg.Segments,
		log:       cfg.Logger,
		metrics:   m,
		done:      make(chan struct{}),
		httpQueue: newConnQueue(),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.httpSrv = &http.Server{
		Handler:           &httpHandler{s: s},
		ReadHeaderTimeout: cfg.ReadTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          httpErrorLog(s.log),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.mu.listeners = make(map[*net.Listener]struct{})
	s.mu.conns = make(map[*conn]struct{})
	return s, nil
}

// Serve accepts connections on l and serves each in its own goroutine until
// Shutdown or Close, then returns ErrServerClosed. It closes l when it
// returns. Serve may be called for several listeners at once.
func (s *Server) Serve(l net.Listener) error {
	if !s.trackListener(&l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)
	defer l.Close()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			if !isTemporary(err) {
				return err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", zap.Error(err), zap.Duration("retry-in", delay))
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
			}
			continue
		}
		delay = 0
		s.serveConn(nc)
	}
}

// serveConn starts serving an accepted connection in its own goroutine, or
// refuses it when MaxConns are open or the server is shutting down.
func (s *Server) serveConn(nc net.Conn) {
	if n := s.open.Add(1); n > int64(s.cfg.MaxConns) {
		s.open.Add(-1)
		s.refuseLimit(nc)
		return
	}
	s.metrics.connsOpen.Inc()
	c := newConn(s, nc)
	if !s.trackConn(c, true) {
		nc.Close()
		s.connClosed()
		return
	}
	go c.serve()
}

// isTemporary reports whether an Accept error is worth retrying: the process
// or system ran out of descriptors or memory, or a peer gave up early.
func isTemporary(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// refuseLimit answers a connection over MaxConns and closes it.
func (s *Server) refuseLimit(nc net.Conn) {
	s.metrics.connsRefused[0].Inc()
	nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	fmt.Fprintf(nc, "ERR UNAVAILABLE too many connections (limit %d)\n", s.cfg.MaxConns)
	nc.Close()
	if ok, suppressed := s.refusedLog.allow(); ok {
		s.log.Warn("refused a connection: too many connections",
			zap.Int("max-conns", s.cfg.MaxConns), zap.Int64("suppressed", suppressed))
	}
}

// connClosed releases a closed connection's slot.
func (s *Server) connClosed() {
	s.open.Add(-1)
	s.metrics.connsOpen.Dec()
}

// trackListener adds or removes l. It refuses to add while shutting down, and
// starts the HTTP server on the first add.
func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.mu.listeners, l)
		return true
	}
	if s.inShutdown.Load() {
		return false
	}
	s.mu.listeners[l] = struct{}{}
	if !s.mu.httpStarted {
		s.mu.httpStarted = true
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.httpSrv.Serve(s.httpQueue)
		}()
	}
	return true
}

// trackConn adds or removes c from the connections that Shutdown waits for.
// It refuses to add while shutting down.
func (s *Server) trackConn(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.mu.conns, c)
		return true
	}
	if s.inShutdown.Load() {
		return false
	}
	s.mu.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// logLimiter lets through a burst of logBurst log lines per second and counts
// the ones it holds back, so a flood of bad connections cannot flood the log.
type logLimiter struct {
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int64
}

const logBurst = 10

// allow reports whether to log now, and how many lines were held back since
// the last one let through.
func (l *logLimiter) allow() (bool, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	if l.n >= logBurst {
		l.suppressed++
		return false, 0
	}
	l.n++
	s := l.suppressed
	l.suppressed = 0
	return true, s
}

// httpErrorLog is net/http's error log (handler panics, write failures), at
// warn level.
func httpErrorLog(log *zap.Logger) *stdlog.Logger {
	l, err := zap.NewStdLogAt(log.Named("http"), zap.WarnLevel)
	if err != nil { // only for an invalid level
		return zap.NewStdLog(log.Named("http"))
	}
	return l
}
