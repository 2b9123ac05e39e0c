// Package sidecar serves IDs from a Source to local applications over a Unix
// socket, and serves the node's admin endpoints over HTTP.
//
// # The socket
//
// One socket carries two protocols; the first byte of a connection tells
// them apart. An uppercase letter starts an HTTP/1.1 request; a digit, '-',
// '+', '\r' or '\n' starts the line protocol; anything else gets
// "ERR BADREQUEST ..." and the connection is closed.
//
// The line protocol: the client writes a decimal count and '\n' (an empty
// line means 1; a trailing '\r' is ignored). The server answers one line:
// that many decimal IDs separated by single spaces, or
//
//	ERR <CODE> <reason>
//
// with CODE one of UNAVAILABLE (not safe to issue now), BADREQUEST (a count
// of 0, a negative or non-numeric count, a line over Config.MaxLineBytes) or
// TOOMANY (over Config.MaxBatch). Connections are persistent and requests may
// be pipelined; answers come in request order. An error whose request was
// framed correctly leaves the connection usable; an over-long line or an
// unknown first byte closes it.
//
// HTTP/1.1, with keep-alive:
//
//	GET /id             text/plain, one ID
//	GET /ids?count=N    N IDs one per line, or {"ids":["…"]} (strings) with
//	                    Accept: application/json
//	GET /decode/<id>    {"id","time","tick","worker_id","sequence"}
//	GET /status         Config.Status() as JSON
//
// An unsafe node answers 503 {"error":"unavailable","reason":"…"}; bad input
// gets 400 (a count over the cap too, as {"error":"toomany",…}); other paths
// 404 and other methods 405.
//
// # The contract
//
// An answer holds either every ID asked for, in the Source's increasing
// order, or an error and no ID at all. IDs the Source appended before it
// failed are dropped: they are never sent and, because the Source never
// issues them again, never appear anywhere. The sidecar adds no state of its
// own to the IDs; uniqueness is the Source's invariant.
//
// One client cannot hurt another: each connection has its own goroutine and
// buffers, an idle deadline between requests, a read deadline once a request
// has begun, a write deadline for clients that stop reading, and the number
// of connections is capped.
//
// HAZARD: the stale-socket check in Listen (lstat, dial, remove, bind) is not
// atomic across processes. Two servers started at the same moment on one
// path can both see a stale file; give each server its own path.
package sidecar
