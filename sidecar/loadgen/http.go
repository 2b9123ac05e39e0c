package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"

	"github.com/idcoord/idcoord/sidecar/client"
)

// httpReadBuf is the read buffer of a raw HTTP load connection; bodies
// larger than it are parsed as they stream through.
const httpReadBuf = 32 << 10

// maxErrBody bounds the body of an HTTP error answer that is read whole.
const maxErrBody = 4096

// httpConn is a minimal keep-alive HTTP/1.1 client for GET /id,
// GET /ids?count=N and GET /segment/<tag>?count=N over one connection: it writes a prepared request and
// parses the status line, Content-Length and a text body of IDs (with
// client.IDLines), allocating nothing per request. net/http's client costs
// several times more CPU per request, which on a small machine would
// measure the load generator, not the server.
type httpConn struct {
	nc     net.Conn
	r      *bufio.Reader
	req    []byte
	ids    client.IDLines
	broken bool
}

// newHTTPConn returns a connection whose every request asks for batch IDs,
// of tag if it is not empty (a tag that passed coord.CheckTag needs no
// escaping in a path).
func newHTTPConn(nc net.Conn, tag string, batch int) *httpConn {
	target := "/id"
	switch {
	case tag != "" && batch == 1:
		target = "/segment/" + tag
	case tag != "":
		target = "/segment/" + tag + "?count=" + strconv.Itoa(batch)
	case batch != 1:
		target = "/ids?count=" + strconv.Itoa(batch)
	}
	return &httpConn{
		nc:  nc,
		r:   bufio.NewReaderSize(nc, httpReadBuf),
		req: []byte("GET " + target + " HTTP/1.1\r\nHost: idcoord\r\n\r\n"),
	}
}

func (c *httpConn) usable() bool { return !c.broken }

func (c *httpConn) close() { c.nc.Close() }

func (c *httpConn) appendIDs(dst []int64, n int) ([]int64, error) {
	if _, err := c.nc.Write(c.req); err != nil {
		c.broken = true
		return dst, err
	}
	status, length, keepAlive, err := c.readHead()
	if err != nil {
		c.broken = true
		return dst, err
	}
	c.broken = !keepAlive
	if status != 200 {
		return dst, c.readError(status, length)
	}
	out, err := c.readIDs(dst, length, n)
	if err != nil {
		c.broken = true
	}
	return out, err
}

// readHead reads the status line and the header up to the blank line, and
// returns the status code, the Content-Length and whether the connection
// stays open.
func (c *httpConn) readHead() (status, length int, keepAlive bool, err error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, headErr(err)
	}
	if len(line) < 13 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, 0, false, fmt.Errorf("%w: status line %.40q", client.ErrProtocol, line)
	}
	if status, err = atoiBytes(line[9:12]); err != nil {
		return 0, 0, false, fmt.Errorf("%w: status line %.40q", client.ErrProtocol, line)
	}
	length, keepAlive = -1, true
	for {
		if line, err = c.r.ReadSlice('\n'); err != nil {
			return 0, 0, false, headErr(err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, false, fmt.Errorf("%w: header line %.40q", client.ErrProtocol, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = atoiBytes(value); err != nil {
				return 0, 0, false, fmt.Errorf("%w: Content-Length %.40q", client.ErrProtocol, value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, 0, false, fmt.Errorf("%w: Transfer-Encoding %.40q; this client reads Content-Length bodies only", client.ErrProtocol, value)
		}
	}
	if length < 0 {
		return 0, 0, false, fmt.Errorf("%w: HTTP %d answer without Content-Length", client.ErrProtocol, status)
	}
	return status, length, keepAlive, nil
}

// headErr says that a header line did not fit the buffer, or passes an I/O
// error on.
func headErr(err error) error {
	if err == bufio.ErrBufferFull {
		return fmt.Errorf("%w: header line longer than %d bytes", client.ErrProtocol, httpReadBuf)
	}
	return err
}

// readIDs parses a body of length bytes holding n IDs, one per line, and
// appends them to dst. It parses the body in pieces of up to the buffer's
// size, so any batch fits. IDs that do not increase are the load's to
// count, not an error.
func (c *httpConn) readIDs(dst []int64, length, n int) ([]int64, error) {
	c.ids.Start(dst, n, false)
	for length > 0 {
		k := min(length, c.r.Size())
		buf, err := c.r.Peek(k)
		if err != nil {
			return dst, err
		}
		if err := c.ids.Parse(buf); err != nil {
			return dst, err
		}
		c.r.Discard(k)
		length -= k
	}
	return c.ids.End()
}

// readError reads the body of a non-200 answer and returns it as the client
// package's error for that status.
func (c *httpConn) readError(status, length int) error {
	if length > maxErrBody {
		c.broken = true
		return fmt.Errorf("%w: HTTP %d with a %d-byte body", client.ErrProtocol, status, length)
	}
	body, err := c.r.Peek(length)
	if err != nil {
		c.broken = true
		return err
	}
	err = client.StatusError(status, body)
	c.r.Discard(length)
	return err
}

// atoiBytes parses a short non-negative decimal.
func atoiBytes(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 12 {
		return 0, strconv.ErrSyntax
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int(d-'0')
	}
	return n, nil
}
