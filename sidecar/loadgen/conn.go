package loadgen

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/idcoord/idcoord/sidecar/client"
)

// loadConn is one load connection, owned by one goroutine.
type loadConn interface {
	// appendIDs makes one request for n IDs and appends the answer to dst.
	appendIDs(dst []int64, n int) ([]int64, error)
	// usable reports whether the connection can take another request after
	// the last one's error.
	usable() bool
	close()
}

// dialer opens load connections to the socket at path for one
// protocol. Every connection's I/O fails once the run's hard deadline
// passes, so no goroutine outlives the run by more than the grace period,
// whatever the server does.
type dialer struct {
	path     string
	protocol string // "line" or "http"
	batch    int
	tag      string    // segment requests of this tag, if not empty
	deadline time.Time // hard end of the run
}

// dial opens one connection; ctx bounds the connect.
func (d *dialer) dial(ctx context.Context) (loadConn, error) {
	if d.protocol == ProtocolHTTP {
		var nd net.Dialer
		nc, err := nd.DialContext(ctx, "unix", d.path)
		if err != nil {
			return nil, err
		}
		if err := nc.SetDeadline(d.deadline); err != nil {
			nc.Close()
			return nil, err
		}
		return newHTTPConn(nc, d.tag, d.batch), nil
	}
	c, err := client.DialConn(ctx, d.path)
	if err != nil {
		return nil, err
	}
	return &lineConn{c: c, tag: d.tag, ctx: deadlineOnly{Context: context.Background(), at: d.deadline}}, nil
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

// lineConn is a line-protocol load connection: the project's own
// client.Conn.
type lineConn struct {
	c   *client.Conn
	tag string // segment requests of this tag, if not empty
	ctx context.Context
	err error // of the last request
}

func (l *lineConn) appendIDs(dst []int64, n int) (out []int64, err error) {
	if l.tag != "" {
		out, err = l.c.AppendSegmentIDs(l.ctx, l.tag, dst, n)
	} else {
		out, err = l.c.AppendIDs(l.ctx, dst, n)
	}
	l.err = err
	return out, err
}

// usable is true after success and after a refusal of the count or the tag;
// any other error leaves the client.Conn broken.
func (l *lineConn) usable() bool {
	return l.err == nil || errors.Is(l.err, client.ErrBadRequest) || errors.Is(l.err, client.ErrTooMany) ||
		errors.Is(l.err, client.ErrNotFound)
}

func (l *lineConn) close() { l.c.Close() }
