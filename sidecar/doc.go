// Package sidecar serves IDs from a Source (Snowflake IDs) and a
// SegmentSource (segment IDs) to local applications over a Unix socket, and
// serves the node's admin endpoints and a Leaf-compatible API over HTTP.
//
// # The socket
//
// One socket carries two protocols; the first byte of a connection tells
// them apart. An uppercase letter starts an HTTP/1.1 request; a digit, '-',
// '+', '\r' or '\n' starts the line protocol; anything else gets
// "ERR BADREQUEST ..." and the connection is closed.
//
// The line protocol: the client writes a decimal count and '\n' (an empty
// line means 1; a trailing '\r' is ignored) for Snowflake IDs, or a count,
// one space and a tag ("5 orders\n") for segment IDs of that tag. The
// server answers one line: that many decimal IDs separated by single
// spaces, or
//
//	ERR <CODE> <reason>
//
// with CODE one of UNAVAILABLE (not safe to issue now), BADREQUEST (a count
// of 0, a negative, missing or non-numeric count, a tag that coord.CheckTag
// refuses, a line over Config.MaxLineBytes), TOOMANY (over Config.MaxBatch)
// or NOTFOUND (an unknown tag, or no Config.Segments). The default
// MaxLineBytes fits the largest count, a space and a 128-byte tag.
// Connections are persistent and requests, of either kind, may be
// pipelined; answers come in request order. An error whose request was
// framed correctly leaves the connection usable; an over-long line or an
// unknown first byte closes it.
//
// HTTP/1.1, with keep-alive:
//
//	GET /id                     text/plain, one ID
//	GET /ids?count=N            N IDs one per line, or {"ids":["…"]}
//	                            (strings) with Accept: application/json
//	GET /segment/<tag>          one segment ID of tag, text/plain
//	GET /segment/<tag>?count=N  as /ids, with IDs of tag
//	GET /decode/<id>            {"id","time","tick","worker_id","sequence"}
//	GET /status                 Config.Status() as JSON
//
// An unsafe node answers 503 {"error":"unavailable","reason":"…"}; bad input
// gets 400 (a count over the cap too, as {"error":"toomany",…}; a tag is
// the whole rest of the decoded path, so an escaped or extra '/' makes it
// bad); an unknown tag 404 {"error":"notfound",…}; other paths 404 and other
// methods 405.
//
// # Segment IDs
//
// Segment IDs come from Config.Segments, a SegmentSource, per tag: dense
// numbers that increase per tag on this node (segment mode). The server
// checks the tag with coord.CheckTag before it asks. Segment requests are
// counted with every request (idcoord_sidecar_requests_total) and in
// idcoord_sidecar_segment_requests_total; per-tag counts belong to the
// allocator, so that no client can grow the socket's metrics.
//
// NewLeaf serves Meituan Leaf's HTTP API (GET /api/segment/get/<tag>,
// GET /api/snowflake/get/<key>) on a listener of its own: the ID as plain
// digits, or 500 with a one-line reason, as Leaf answers.
//
// # The contract
//
// An answer holds either every ID asked for, in the Source's (or the
// SegmentSource's) increasing order, or an error and no ID at all. IDs a
// source appended before it failed are dropped: they are never sent and,
// because the source never issues them again, never appear anywhere. The
// sidecar adds no state of its own to the IDs; uniqueness is the sources'
// invariant.
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
