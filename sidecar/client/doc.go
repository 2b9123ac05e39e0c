// Package client asks an idcoord sidecar for IDs over its Unix socket, using
// the line protocol.
//
// A Client keeps a small pool of persistent connections and is safe for
// concurrent use; a Conn is one connection for one goroutine, for callers
// that manage their own (load generators). An answer holds all the IDs asked
// for, in increasing order, or an error and none. The server's ERR answers
// become ErrUnavailable, ErrBadRequest and ErrTooMany, wrapped with the
// server's reason. A connection that saw an I/O error, a protocol error or a
// cancelled context is closed and never reused.
package client
