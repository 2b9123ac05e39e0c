package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/idcoord/idcoord/coord"
)

// maxErrLine bounds an ERR answer the client reads.
const maxErrLine = 4096

// aLongTimeAgo is a deadline in the past, which wakes blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// Conn is one line-protocol connection to a sidecar. It is not safe for
// concurrent use. After an I/O or protocol error, or a cancelled ctx, every
// call returns that error: the connection's state is unknown, so it must be
// closed and replaced.
type Conn struct {
	nc   net.Conn
	r    *bufio.Reader
	wbuf []byte
	dl   time.Time // deadline last set on nc
	err  error     // sticky: the Conn is broken
	// answered is set once a byte of the current answer arrived; a request
	// that failed before is safe to retry on a fresh connection.
	answered bool
}

// DialConn connects to the sidecar socket at path. ctx bounds the dial.
func DialConn(ctx context.Context, path string) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10), wbuf: make([]byte, 0, 24)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	if c.err == nil {
		c.err = ErrClosed
	}
	return c.nc.Close()
}

// NextID asks for one ID.
func (c *Conn) NextID(ctx context.Context) (int64, error) {
	var one [1]int64
	return onlyID(c.AppendIDs(ctx, one[:0], 1))
}

// onlyID returns the ID of an answer to a request for one.
func onlyID(ids []int64, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AppendIDs asks for n IDs and appends them to dst, allocating nothing when
// dst has room. ctx's deadline and cancellation bound the round trip. On
// error dst is returned unchanged.
func (c *Conn) AppendIDs(ctx context.Context, dst []int64, n int) ([]int64, error) {
	return c.appendIDs(ctx, "", dst, n)
}

// NextSegmentID asks for one segment ID of tag.
func (c *Conn) NextSegmentID(ctx context.Context, tag string) (int64, error) {
	var one [1]int64
	return onlyID(c.AppendSegmentIDs(ctx, tag, one[:0], 1))
}

// AppendSegmentIDs asks for n segment IDs of tag ("N TAG" on the line
// protocol) and appends them to dst, as AppendIDs does. A tag that
// coord.CheckTag refuses is an error wrapping ErrBadRequest and
// coord.ErrBadTag, and is not sent; an unknown tag is ErrNotFound, which
// leaves the Conn usable.
func (c *Conn) AppendSegmentIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if err := coord.CheckTag(tag); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return c.appendIDs(ctx, tag, dst, n)
}

// appendIDs makes one request: n Snowflake IDs, or n IDs of tag if tag is
// not empty. The tag has been checked.
func (c *Conn) appendIDs(ctx context.Context, tag string, dst []int64, n int) ([]int64, error) {
	if c.err != nil {
		return dst, c.err
	}
	if n < 1 {
		return dst, fmt.Errorf("%w: count must be at least 1, got %d", ErrBadRequest, n)
	}
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	c.answered = false
	dl, _ := ctx.Deadline()
	if !dl.Equal(c.dl) {
		if err := c.nc.SetDeadline(dl); err != nil {
			return dst, c.fail(err)
		}
		c.dl = dl
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
		defer func() {
			if !stop() && c.err == nil {
				c.err = ctx.Err() // the deadline was forced; the Conn's state is unknown
			}
		}()
	}
	c.wbuf = strconv.AppendInt(c.wbuf[:0], int64(n), 10)
	if tag != "" {
		c.wbuf = append(c.wbuf, ' ')
		c.wbuf = append(c.wbuf, tag...)
	}
	c.wbuf = append(c.wbuf, '\n')
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return dst, c.fail(ctxErr(ctx, err))
	}
	out, err := c.readAnswer(dst, n)
	if err != nil {
		return dst, ctxErr(ctx, err)
	}
	return out, nil
}

// ctxErr returns ctx's error in place of the timeout it caused. The
// connection's deadline can fire a moment before ctx notices its own.
func ctxErr(ctx context.Context, err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return err
}

// fail marks the Conn broken by err and returns err.
func (c *Conn) fail(err error) error {
	if c.err == nil {
		c.err = err
	}
	return err
}

// readAnswer reads one answer line: n increasing IDs, appended to dst, or an
// ERR line as a typed error. An ERR UNAVAILABLE also breaks the Conn, because the
// server may close the connection after it.
func (c *Conn) readAnswer(dst []int64, n int) ([]int64, error) {
	first, err := c.r.Peek(1)
	if err != nil {
		return dst, c.fail(err)
	}
	c.answered = true
	if first[0] == 'E' {
		return dst, c.readErr()
	}
	var a answer
	a.start(dst, n, ' ', true)
	for {
		buf, err := c.r.Peek(max(c.r.Buffered(), 1))
		if err != nil {
			return dst, c.fail(err)
		}
		used, end, err := a.parse(buf)
		if end {
			c.r.Discard(used)
		}
		if err != nil {
			return dst, c.fail(err)
		}
		if end {
			return a.out, nil
		}
		c.r.Discard(len(buf))
	}
}

// readErr reads "ERR <CODE> <reason>\n" and returns it as a typed error.
func (c *Conn) readErr() error {
	var line []byte
	for {
		part, err := c.r.ReadSlice('\n')
		line = append(line, part...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) || len(line) > maxErrLine {
			return c.fail(fmt.Errorf("%w: reading an error answer: %v", ErrProtocol, err))
		}
	}
	text := string(line[:len(line)-1])
	code, reason, _ := cutPrefix(text)
	switch code {
	case "UNAVAILABLE":
		return c.fail(fmt.Errorf("%w: %s", ErrUnavailable, reason))
	case "BADREQUEST":
		return fmt.Errorf("%w: %s", ErrBadRequest, reason)
	case "TOOMANY":
		return fmt.Errorf("%w: %s", ErrTooMany, reason)
	case "NOTFOUND":
		return fmt.Errorf("%w: %s", ErrNotFound, reason)
	}
	return c.fail(fmt.Errorf("%w: unexpected answer %q", ErrProtocol, text))
}

// cutPrefix splits "ERR CODE reason" into CODE and reason.
func cutPrefix(line string) (code, reason string, ok bool) {
	const prefix = "ERR "
	if len(line) < len(prefix) || line[:len(prefix)] != prefix {
		return "", "", false
	}
	rest := line[len(prefix):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == ' ' {
			return rest[:i], rest[i+1:], true
		}
	}
	return rest, "", true
}
