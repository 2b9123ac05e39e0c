package main

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"github.com/idcoord/idcoord/sidecar/client"
)

// benchConn is one load connection, owned by one goroutine.
type benchConn interface {
	// appendIDs makes one request for n IDs and appends the answer to dst.
	appendIDs(dst []int64, n int) ([]int64, error)
	// usable reports whether the connection can take another request after
	// the last one's error.
	usable() bool
	close()
}

// benchDialer opens load connections to the socket at path for one
// protocol. Every connection's I/O fails once the run's hard deadline
// passes, so no goroutine outlives the run by more than the grace period,
// whatever the server does.
type benchDialer struct {
	path     string
	protocol string // "line" or "http"
	batch    int
	deadline time.Time // hard end of the run
}

// dial opens one connection; ctx bounds the connect.
func (d *benchDialer) dial(ctx context.Context) (benchConn, error) {
	if d.protocol == protoHTTP {
		var nd net.Dialer
		nc, err := nd.DialContext(ctx, "unix", d.path)
		if err != nil {
			return nil, err
		}
		if err := nc.SetDeadline(d.deadline); err != nil {
			nc.Close()
			return nil, err
		}
		return newHTTPBenchConn(nc, d.batch), nil
	}
	c, err := client.DialConn(ctx, d.path)
	if err != nil {
		return nil, err
	}
	return &lineBenchConn{c: c, ctx: deadlineOnly{Context: context.Background(), at: d.deadline}}, nil
}

// deadlineOnly is a context with a deadline but no Done channel. Given to
// client.Conn, it makes the connection set its socket deadline once, from
// the first request on, and arm nothing per request: every request of the
// run then costs no allocation and no timer. Done and Err stay nil, so it
// must only be given to code that enforces the deadline through the socket.
type deadlineOnly struct {
	context.Context // context.Background()
	at              time.Time
}

// Deadline returns the hard end of the run.
func (c deadlineOnly) Deadline() (time.Time, bool) { return c.at, true }

// lineBenchConn is a line-protocol load connection: the project's own
// client.Conn.
type lineBenchConn struct {
	c   *client.Conn
	ctx context.Context
	err error // of the last request
}

func (l *lineBenchConn) appendIDs(dst []int64, n int) ([]int64, error) {
	out, err := l.c.AppendIDs(l.ctx, dst, n)
	l.err = err
	return out, err
}

// usable is true after success and after a refusal of the count; any other
// error leaves the client.Conn broken.
func (l *lineBenchConn) usable() bool {
	return l.err == nil || errors.Is(l.err, client.ErrBadRequest) || errors.Is(l.err, client.ErrTooMany)
}

func (l *lineBenchConn) close() { l.c.Close() }

// errKind classifies a failed request for the report.
type errKind int

const (
	kindUnavailable errKind = iota // the server is not safe to issue (ERR UNAVAILABLE, 503)
	kindBadRequest                 // ERR BADREQUEST, 400
	kindTooMany                    // ERR TOOMANY, 400 toomany
	kindProtocol                   // a malformed answer, or an unexpected HTTP status
	kindTimeout                    // no answer before the run's hard deadline
	kindIO                         // the connection broke
	kindDial                       // reconnecting after a broken connection failed
	numErrKinds
)

// errKindNames name the kinds in the report; the first three are the
// server's own result names.
var errKindNames = [numErrKinds]string{"unavailable", "badrequest", "toomany", "protocol", "timeout", "io", "dial"}

// classify returns the kind of a request's error.
func classify(err error) errKind {
	switch {
	case errors.Is(err, client.ErrUnavailable):
		return kindUnavailable
	case errors.Is(err, client.ErrBadRequest):
		return kindBadRequest
	case errors.Is(err, client.ErrTooMany):
		return kindTooMany
	case errors.Is(err, client.ErrProtocol):
		return kindProtocol
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return kindTimeout
	}
	return kindIO
}
