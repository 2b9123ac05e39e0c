package zkcoord

import (
	"encoding/binary"
	"net"
	"time"
)

// connectReplyLen is how much of a connection's first bytes connectReply
// needs: the frame length, then ConnectResponse's protocolVersion (int32),
// timeOut (int32, the negotiated session timeout in ms) and sessionId (int64).
const connectReplyLen = 4 + 4 + 4 + 8

// connectReply is what the server said when it answered a connect request.
type connectReply struct {
	timeout time.Duration // negotiated session timeout
	session int64         // 0 when the server refused the session (expired)
}

// parseConnectReply reads a ConnectResponse from the first bytes of a
// connection. go-zookeeper keeps the negotiated timeout to itself, and the
// fence needs it: the server may clamp the timeout asked for into its
// [minSessionTimeout, maxSessionTimeout].
func parseConnectReply(b []byte) (connectReply, bool) {
	if len(b) < connectReplyLen {
		return connectReply{}, false
	}
	frame := int32(binary.BigEndian.Uint32(b[0:4]))
	ms := int32(binary.BigEndian.Uint32(b[8:12]))
	session := int64(binary.BigEndian.Uint64(b[12:20]))
	if frame < connectReplyLen-4 || ms < 0 {
		return connectReply{}, false
	}
	return connectReply{timeout: time.Duration(ms) * time.Millisecond, session: session}, true
}

// sniffConn hands the first connectReplyLen bytes read from the server to
// onReply, parsed, and is otherwise the connection itself, except that it
// bounds the wait for that reply by handshake. go-zookeeper waits ten times
// its read timeout (6.7 session timeouts) for it, and a server that is still
// starting can accept a connection and never answer, which would keep a
// client away for that long after the server is back. go-zookeeper reads
// and sets deadlines on a connection from one goroutine at a time, so
// sniffConn needs no lock.
type sniffConn struct {
	net.Conn
	handshake time.Duration
	head      []byte
	done      bool
	onReply   func(connectReply)
}

// SetReadDeadline sets t, brought forward to handshake from now until the
// connect reply has been read.
func (c *sniffConn) SetReadDeadline(t time.Time) error {
	if !c.done && c.handshake > 0 {
		if limit := time.Now().Add(c.handshake); t.IsZero() || t.After(limit) {
			t = limit
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.done && n > 0 {
		need := connectReplyLen - len(c.head)
		c.head = append(c.head, p[:min(n, need)]...)
		if len(c.head) == connectReplyLen {
			c.done = true
			if r, ok := parseConnectReply(c.head); ok {
				c.onReply(r)
			}
		}
	}
	return n, err
}
