// Package client asks an idcoord sidecar for IDs over its Unix socket.
//
// A Client speaks the line protocol over a small pool of persistent
// connections and is safe for concurrent use; a Conn is one connection for
// one goroutine, for callers that manage their own (load generators). An
// HTTPClient asks the HTTP endpoints (GET /id, GET /ids?count=N) instead.
// Each also asks for segment IDs of a tag (AppendSegmentIDs: the line
// "N TAG", or GET /segment/<tag>?count=N); a tag is checked with
// coord.CheckTag before it is sent, so that no tag can change a request's
// framing.
//
// An answer holds all the IDs asked for, in increasing order, or an error
// and none. The server's refusals, ERR answers and HTTP statuses alike,
// become ErrUnavailable, ErrBadRequest, ErrTooMany and ErrNotFound (an
// unknown segment tag), wrapped with the server's reason. A connection that
// saw an I/O error, a protocol error or a cancelled context is closed and
// never reused; an ERR answer other than UNAVAILABLE leaves it usable.
//
// One parser reads every ID answer, of either protocol; IDLines lends it to
// clients that read HTTP bodies themselves.
package client
